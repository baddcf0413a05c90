-- Each deliberate difference from LuaSocket that docs/compatibility.md
-- lists under "Differences from LuaSocket", shown side by side with the
-- reference.

local ours = require("socket.smtp")
local load_luasocket = require("luasocket_smtp")
local pump = require("pump")

describe("differences from LuaSocket's smtp.message", function()
    local theirs
    before_each(function() theirs = load_luasocket() end)

    it("X-Mailer names luasmtp", function()
        -- LuaSocket's header order varies, so look for the line anywhere.
        local function mailer(text) return ("\r\n" .. text):match("\r\nX%-Mailer: ([^\r]*)") end
        assert.truthy(mailer(pump(ours.message({}))):find("^luasmtp "))
        assert.truthy(mailer(pump(theirs.message({}))):find("^LuaSocket "))
    end)

    it("boundaries are unpredictable, not a timestamp and a counter", function()
        local mine = pump(ours.message({ body = {} })):match('boundary="([^"]+)"')
        local reference = pump(theirs.message({ body = {} })):match('boundary="([^"]+)"')
        assert.truthy(mine:find("^=_luasmtp_%x+_%d+$"), mine)
        assert.truthy(reference:find("^%d+==%d+$"), reference)
    end)

    it("bad input raises when smtp.message is called, not when the source is pulled", function()
        local mesgt = function() return { headers = { subject = {} } } end
        assert.is_false((pcall(ours.message, mesgt())))
        local source = theirs.message(mesgt())
        local chunk, err = source()
        assert.is_nil(chunk)
        assert.truthy(err:find("concatenate", 1, true))
    end)

    it("the message is fixed when smtp.message is called", function()
        local function make() return { body = { { body = "before" } } } end
        local mine, reference = make(), make()
        local mine_source, reference_source = ours.message(mine), theirs.message(reference)
        mine.body[1].body, reference.body[1].body = "after", "after"
        assert.truthy(pump(mine_source):find("\r\nbefore\r\n", 1, true))
        assert.truthy(pump(reference_source):find("\r\nafter\r\n", 1, true))
    end)

    it("a headers-only part does not end the whole message", function()
        local function make() return { body = { { headers = { ["x-part"] = "1" } }, { body = "second" } } } end
        assert.truthy(pump(ours.message(make())):find("second", 1, true))
        assert.falsy(pump(theirs.message(make())):find("second", 1, true))
    end)

    it("a body source's error ends the message source", function()
        local function make()
            local calls = 0
            return {
                body = function()
                    calls = calls + 1
                    if calls == 1 then return nil, "transient" end
                    if calls == 2 then return "late chunk" end
                end,
            }
        end
        local mine, reference = ours.message(make()), theirs.message(make())
        mine()
        reference()
        assert.are.same({ nil, "transient" }, { mine() })
        assert.are.same({ nil, "transient" }, { reference() })
        assert.are.same({ nil, "cannot resume dead coroutine" }, { mine() })
        assert.are.same({ "late chunk", nil }, { reference() })
    end)

    it("a bcc header is never written, and stays in mesgt.headers for the script", function()
        local function make() return { headers = { to = "<bob@example.com>", bcc = "<eve@example.com>" } } end
        local mine = make()
        local text = pump(ours.message(mine))
        assert.falsy(text:lower():find("bcc", 1, true), text)
        assert.truthy(text:find("\r\nTo: <bob@example.com>\r\n", 1, true) or text:find("^To: <bob@example.com>\r\n"))
        assert.are.equal("<eve@example.com>", mine.headers.bcc)
        local reference = pump(theirs.message(make()))
        assert.truthy(("\r\n" .. reference):find("\r\nBcc: <eve@example.com>\r\n", 1, true), reference)
    end)

    it("a boolean body is refused instead of handed to the sink", function()
        assert.is_false((pcall(ours.message, { body = true })))
        local source = theirs.message({ body = true })
        source()
        assert.are.equal(true, source())
    end)

    it("a message that contains itself raises instead of overflowing the stack", function()
        local function make()
            local mesgt = { body = {} }
            mesgt.body[1] = mesgt
            return mesgt
        end
        local ok, err = pcall(ours.message, make())
        assert.is_false(ok)
        assert.truthy(err:find("nests deeper than", 1, true))
        local _, reference_err = pump(theirs.message(make()))
        assert.truthy(tostring(reference_err):find("stack overflow", 1, true), tostring(reference_err))
    end)
end)
