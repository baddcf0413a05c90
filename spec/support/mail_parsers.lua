-- Two independent readings of one raw message, so that a spec can check what
-- arrived without trusting a single MIME parser: Python's email package with
-- email.policy.default (parse_mail.py, on Debian's /usr/bin/python3) and
-- Node's mailparser (parse_mail.js, from spec/support/node/, which
-- scripts/install-deps.sh fills).
--
--   local parsers = require("mail_parsers")
--   local python, node = parsers.parse(raw)   -- raw: the bytes a server recorded
--   local mail = parsers.assert_agree(raw)     -- asserts python and node are the
--                                              -- same; returns that table
--
-- Both parsers give a table of this shape (nil fields are absent):
--
--   subject      the decoded Subject, or nil
--   from, to, cc, reply_to
--                { { name = "João, Jr.", address = "joao@example.com" }, ... }:
--                the first field of that name, groups flattened, names decoded
--                ("" when none); {} when there is no such field
--   sender       the same, or nil when there is no Sender field
--   bcc_header   whether a Bcc field is present
--   message_id   "<...>", or nil
--   date         the Date field's instant in UTC, "2026-11-24T09:00:00Z", or nil
--   text, html   the plain and HTML bodies, decoded to UTF-8 with LF line ends,
--                or nil when there is none
--   headers      { ["x-campaign"] = "42", ... }: every field of the message
--                header, the first of each name, name lowercased, value
--                unfolded and with its encoded words decoded
--   attachments  every other leaf part, in message order, inline images of a
--                multipart/related among them:
--                { filename = "relatório.csv" or nil, content_type = "text/csv"
--                  (as declared, lowercased), content_id = "logo" (no angle
--                  brackets) or nil, disposition = "attachment", "inline" or
--                  nil (no Content-Disposition), size = bytes decoded,
--                  sha256 = their lowercase hex digest, data = the bytes
--                  themselves when size <= 64 KiB, else nil }
--
-- Strings are the UTF-8 bytes; the parsers print them as Lua constructors
-- with \ddd escapes, which every interpreter loads.
--
-- Known disagreements, left as they are: in attachments that are not base64
-- Python turns CRLF into LF and mailparser keeps it; mailparser shows a
-- punycode domain (xn--...) in Unicode, Python as written; with several
-- text/plain parts outside an alternative mailparser joins them all, Python
-- takes the first. The raw date, when its zone matters, is headers.date.

local assert = require("luassert")
local files = require("files")

local quote, read_file = files.quote, files.read

local parsers = {}

local HERE = debug.getinfo(1, "S").source:match("^@(.*/)") or "./"
-- Debian's Python, whose email package is the one meant: the python3 first
-- on PATH may be another.
local COMMANDS = {
    { name = "python", command = "/usr/bin/python3 " .. quote(HERE .. "parse_mail.py") },
    { name = "node", command = "node " .. quote(HERE .. "parse_mail.js") },
}

-- Writes raw to dir/message, runs both parsers on it at once (each takes a
-- tenth of a second or more, mostly starting up) and returns their tables in
-- COMMANDS' order.
local function run(dir, raw)
    files.write(dir .. "/message", raw)
    local jobs = {}
    for i, parser in ipairs(COMMANDS) do
        local out = quote(dir .. "/" .. parser.name)
        -- The exit status goes to a file: os.execute and io.popen report
        -- it differently on 5.1 and LuaJIT than on 5.2 and later.
        jobs[i] = ("(%s %s >%s.out 2>%s.err; echo $? >%s.status) &"):format(
            parser.command, quote(dir .. "/message"), out, out, out)
    end
    os.execute(table.concat(jobs, " ") .. " wait")
    local results = {}
    for i, parser in ipairs(COMMANDS) do
        local base = dir .. "/" .. parser.name
        local status = read_file(base .. ".status")
        if status ~= "0\n" then
            error(("the %s parser failed (exit status %s): %s"):format(
                parser.name, (status or "unknown"):gsub("\n", ""), read_file(base .. ".err") or ""), 0)
        end
        local output = read_file(base .. ".out")
        local chunk, message = (loadstring or load)("return " .. output, "=" .. parser.name)
        if not chunk then
            error(("the %s parser printed no Lua table (%s): %s"):format(parser.name, message, output), 0)
        end
        results[i] = chunk()
    end
    return (table.unpack or unpack)(results)
end

-- The tables of Python's email and of mailparser for the message `raw`.
-- Raises when either parser fails, with what it wrote on stderr.
function parsers.parse(raw)
    local dir = files.temporary_directory("mail_parsers")
    local results = { pcall(run, dir, raw) }
    files.remove(dir)
    if not results[1] then error(results[2], 0) end
    return results[2], results[3]
end

-- The table both parsers give for `raw`, after asserting that they agree.
function parsers.assert_agree(raw)
    local python, node = parsers.parse(raw)
    assert.are.same(python, node, "Python's email and mailparser read the message differently")
    return python
end

return parsers
