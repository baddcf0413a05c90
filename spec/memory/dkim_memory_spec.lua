-- A 1 GiB message signed by smtp.dkim moves the peak RSS by at most
-- 16 MB, against smtp-sink keeping nothing: the signer keeps the header
-- section and hashes the body, and the message waits for its signature in
-- a temporary file, not in memory (1 MB at most).
--
-- Named *memory_spec so that scripts/test.sh runs it in spec/memory's
-- busted process of its own, where what other specs allocated does not
-- show. Tagged #soak: make test runs it on one interpreter, make soak on
-- all five. SPEC_SLOWDOWN (see pace.lua) divides the size.

local socket = require("socket")
local smtp = require("socket.smtp")
local servers = require("smtp_servers")
local memory = require("memory")
local files = require("files")
local dkim_keys = require("dkim_keys")
local pace = require("pace")

local MB = memory.MB
-- 64 KiB chunks of 80-byte lines, as spec/memory/memory_spec.lua sends.
local CHUNK = (("x"):rep(78) .. "\r\n"):rep(819) .. ("y"):rep(14) .. "\r\n"
local CHUNKS = pace.scaled(16384)
local PEAK_GROWTH = 16 * MB

local function mb(bytes) return ("%.2f MB"):format(bytes / MB) end

describe("memory #soak", function()
    local dir, keys
    setup(function()
        dir = files.temporary_directory("dkim_memory_spec")
        keys = dkim_keys.make(dir)
    end)
    teardown(function() files.remove(dir) end)

    -- One key: RSA and Ed25519 differ only in the last step, the
    -- signature of the header fields (spec/dkim covers both).
    for _, key in ipairs({ "rsa" }) do
        it(("signs a %s message (%s) with the peak RSS at most %s above the start")
            :format(mb(CHUNKS * #CHUNK), key, mb(PEAK_GROWTH)), function()
            local server = servers.smtp_sink{ dump = false }
            local samples = {}
            local left = CHUNKS
            local function big_source()
                if left == CHUNKS then
                    left = left - 1
                    return "From: a@example.com\r\nSubject: big\r\n\r\n"
                end
                if left == 0 then return nil end
                if left % 256 == 0 then samples[#samples + 1] = memory.rss() end
                left = left - 1
                return CHUNK
            end
            local signed = smtp.dkim(big_source, keys[key].dkim())
            local start = memory.settled().rss
            -- The kernel's peak (VmHWM) sees between samples, and the spool's
            -- chunks are read back in Rust.
            local peak_known = pcall(memory.reset_peak)
            local began = socket.gettime()
            local ok, err = smtp.send{ server = server.host, port = server.port,
                from = "<a@example.com>", rcpt = "<b@example.com>", source = signed }
            local seconds = socket.gettime() - began
            assert.are.same({ 1 }, { ok, err })
            assert.are.equal(0, left)

            local peak = start
            for _, rss in ipairs(samples) do peak = math.max(peak, rss) end
            if peak_known then peak = math.max(peak, memory.peak()) end
            io.stderr:write(("\nmemory: %s message signed (%s) in %.1f s: RSS %s before, peak %s (+%s)\n")
                :format(mb(CHUNKS * #CHUNK), key, seconds, mb(start), mb(peak), mb(peak - start)))
            if memory.rss_measured then
                assert.is_true(peak_known or #samples > 0, "nothing measured the peak")
                assert.is_true(peak - start <= PEAK_GROWTH,
                    ("peak RSS %s, %s above the %s before the send"):format(mb(peak), mb(peak - start), mb(start)))
            end
        end)
    end
end)
