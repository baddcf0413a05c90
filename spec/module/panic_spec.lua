-- No Rust panic may cross into Lua as anything but a Lua error: mlua runs
-- every function of the module under catch_unwind, and the release profile
-- keeps panics unwinding. With LUASMTP_PANIC_TEST set in its environment,
-- the module has core._panic(message), which panics on purpose, so these
-- checks run on the build that ships. They run in a fresh interpreter, so
-- that a crash would show as its exit status.

local interpreter = require("interpreter")
local files = require("files")

-- Runs `code` in a fresh interpreter with the suite's own build of the core
-- and LUASMTP_PANIC_TEST set; returns what it printed (stderr included) and
-- its exit status.
local function run(code)
    local cpath = "build/" .. interpreter.command .. "/?.so"
    local command = ("RUST_BACKTRACE=0 LUASMTP_PANIC_TEST=1 LUA_CPATH=%s %s -e %s 2>&1; echo \"exit $?\""):format(
        files.quote(cpath), interpreter.command, files.quote(code))
    local output = files.capture(command)
    local status = tonumber(output:match("exit (%d+)\n$"))
    return output, status
end

describe("a panic inside the module", function()
    it("is a Lua error that pcall catches, and the module goes on working", function()
        local output, status = run([[
            local core = require("socket.smtp.core")
            local ok, err = pcall(core._panic, "on purpose")
            print("caught", ok, tostring(err))
            local pieces = core.message({ headers = { subject = "after" } }, "+0000")
            print("message", pieces:next() ~= nil)
            local co = coroutine.create(function() core._panic("in a coroutine") end)
            print("coroutine", coroutine.resume(co))
        ]])
        assert.are.equal(0, status, output)
        assert.truthy(output:find("caught\tfalse\ton purpose\n", 1, true), output)
        assert.truthy(output:find("message\ttrue\n", 1, true), output)
        assert.truthy(output:find("coroutine\tfalse\tin a coroutine\n", 1, true), output)
    end)

    it("uncaught, ends the script as any error does, not with a crash", function()
        local output, status = run([[require("socket.smtp.core")._panic("uncaught")]])
        -- 1 is the interpreter's status for an error; an abort would be 134.
        assert.are.equal(1, status, output)
        assert.truthy(output:find("uncaught", 1, true), output)
    end)

    it("cannot be triggered without LUASMTP_PANIC_TEST", function()
        assert.is_nil(os.getenv("LUASMTP_PANIC_TEST"))
        assert.is_nil(require("socket.smtp.core")._panic)
    end)
end)
