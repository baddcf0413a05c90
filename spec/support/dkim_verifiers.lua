-- Two independent DKIM verifiers, given the public keys' TXT records
-- directly (no DNS): Python's dkimpy (verify_dkim.py, on Debian's
-- /usr/bin/python3) and Node's mailauth (verify_dkim.js, from
-- spec/support/node/). Each verifies a whole batch of messages in one
-- process, both processes at once: a start costs a good part of a second.
--
--   local verifiers = require("dkim_verifiers")
--   local results = verifiers.verify({ raw1, raw2 }, { ["s._domainkey.example.com"] = "v=DKIM1; ..." })
--   results[1].dkimpy    --> { result = "pass", comment = "" }
--   results[1].mailauth  --> { result = "fail", comment = "body hash did not verify" }
--
-- result is "pass", "fail" (the signature or the body hash does not
-- verify), "none" (no signature) or the verifier's word for a signature it
-- could not check (dkimpy's "permerror", mailauth's "neutral"...), with
-- its reason in comment.

local files = require("files")

local quote, read_file = files.quote, files.read

local verifiers = { NAMES = { "dkimpy", "mailauth" } }

local HERE = debug.getinfo(1, "S").source:match("^@(.*/)") or "./"
-- Debian's Python, which has python3-dkim: the python3 first on PATH may
-- not.
local COMMANDS = {
    dkimpy = "/usr/bin/python3 " .. quote(HERE .. "verify_dkim.py"),
    mailauth = "node " .. quote(HERE .. "verify_dkim.js"),
}

local function run(dir, messages, records)
    local keys = {}
    for name, record in pairs(records) do keys[#keys + 1] = name .. "\t" .. record .. "\n" end
    files.write(dir .. "/keys", table.concat(keys))
    local paths = {}
    for i, raw in ipairs(messages) do
        paths[i] = quote(("%s/%d.eml"):format(dir, i))
        files.write(("%s/%d.eml"):format(dir, i), raw)
    end
    local jobs = {}
    for _, name in ipairs(verifiers.NAMES) do
        local out = quote(dir .. "/" .. name)
        -- The exit status goes to a file: os.execute reports it differently
        -- on 5.1 and LuaJIT than on 5.2 and later.
        jobs[#jobs + 1] = ("(%s %s %s >%s.out 2>%s.err; echo $? >%s.status) &"):format(
            COMMANDS[name], quote(dir .. "/keys"), table.concat(paths, " "), out, out, out)
    end
    os.execute(table.concat(jobs, " ") .. " wait")
    local results = {}
    for i = 1, #messages do results[i] = {} end
    for _, name in ipairs(verifiers.NAMES) do
        local base = dir .. "/" .. name
        local status = read_file(base .. ".status")
        if status ~= "0\n" then
            error(("%s failed (exit status %s): %s"):format(
                name, (status or "unknown"):gsub("\n", ""), read_file(base .. ".err") or ""), 0)
        end
        local output = read_file(base .. ".out")
        local chunk, problem = (loadstring or load)("return " .. output, "=" .. name)
        if not chunk then error(("%s printed no Lua table (%s): %s"):format(name, problem, output), 0) end
        local verdicts = chunk()
        assert(#verdicts == #messages, name .. " gave a verdict per message")
        for i, verdict in ipairs(verdicts) do results[i][name] = verdict end
    end
    return results
end

-- For each of `messages` (raw bytes, as a server received them), each
-- verifier's verdict; `records` maps "<selector>._domainkey.<domain>" to
-- its TXT record. Raises when a verifier fails, with what it wrote on
-- stderr.
function verifiers.verify(messages, records)
    local dir = files.temporary_directory("dkim_verifiers")
    local ok, results = pcall(run, dir, messages, records)
    files.remove(dir)
    if not ok then error(results, 0) end
    return results
end

return verifiers
