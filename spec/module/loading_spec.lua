-- The module table: constants, version, and how it loads beside (or
-- without) LuaSocket.

local smtp = require("socket.smtp")
local interpreter = require("interpreter")
local load_luasocket = require("luasocket_smtp")

local run, OURS_ONLY = interpreter.run, interpreter.OURS_ONLY
local OURS_FIRST = ("LUA_PATH='%s/?.lua;;' LUA_CPATH='%s/?.so;;'"):format(interpreter.build, interpreter.build)

describe("the socket.smtp module", function()
    it("has LuaSocket's constants with LuaSocket's defaults", function()
        local reference = load_luasocket()
        for _, name in ipairs({ "DOMAIN", "PORT", "SERVER", "TIMEOUT", "ZONE" }) do
            assert.are.equal(reference[name], smtp[name], name)
        end
        assert.are.equal(25, smtp.PORT)
        assert.are.equal("localhost", smtp.SERVER)
        assert.are.equal(60, smtp.TIMEOUT)
        assert.are.equal("-0000", smtp.ZONE)
    end)

    it("takes DOMAIN from SERVER_NAME", function()
        assert.are.equal("mail.example.org",
            run("SERVER_NAME=mail.example.org " .. OURS_FIRST, 'print(require("socket.smtp").DOMAIN)'))
        assert.are.equal("localhost",
            run("env -u SERVER_NAME " .. OURS_FIRST, 'print(require("socket.smtp").DOMAIN)'))
    end)

    it("is ours, not LuaSocket's, when both are installed", function()
        assert.truthy(smtp._VERSION:find("^luasmtp %d+%.%d+%.%d+$"), smtp._VERSION)
        assert.truthy(package.loaded["socket.smtp.core"])
    end)

    it("is published as socket.smtp, as LuaSocket does", function()
        assert.are.equal(smtp, require("socket").smtp)
    end)

    it("loads and works where LuaSocket is not installed", function()
        local output = run(OURS_ONLY, [[
            local smtp = require("socket.smtp")
            local found = pcall(require, "socket")
            local source = smtp.message({ body = "works" })
            local text = ""
            while true do
                local chunk = source()
                if not chunk then break end
                text = text .. chunk
            end
            print(tostring(found) .. " " .. text:match("\r\n\r\n(.*)$"))
        ]])
        assert.are.equal("false works", output)
    end)
end)
