-- Every ```lua block of README.md and docs/api.md runs here, as a reader
-- would copy it, against local servers, and must deliver what it sends.
-- A block whose fence is ```lua not-runnable is skipped; its first line
-- must be a comment giving the reason (a call's shape, not code, ...).
--
-- How the examples reach the local servers. Each block runs in its own
-- environment (example_runner.lua), where require("socket.smtp") gives the
-- real module behind a thin layer that changes only where the mail goes:
--
-- * smtp.send{...} and smtp.open(...) go to a scripted server on
--   127.0.0.1 (scripted_server.py: it takes any credentials, and LOGIN,
--   PLAIN and XOAUTH2). A call that names no server and no port, like the
--   LuaSocket manual's, is left as it is: smtp.SERVER and smtp.PORT point at
--   the server for the block, and are put back after it. A call that names
--   them (server = "smtp.gmail.com", port = 587) has both replaced by the
--   local server's, and the rest of its fields kept.
-- * The tls mode is the one the module would use for the call as written:
--   tls = "tls", or port 465 without tls or create, goes to a server that
--   speaks TLS from the first byte (and, since the port is replaced, gets
--   tls = "tls" said outright); every other call to a server that offers
--   STARTTLS.
-- * TLS: the servers' certificate comes from a throwaway CA
--   (certificates.lua) for "localhost" and 127.0.0.1. A call that may run
--   TLS (tls other than "none", or implicit TLS), unless it says
--   verify = false, gets cafile = that CA's certificate, in place of any
--   cafile it names (a file on the reader's machine), and a servername it
--   names becomes "localhost". Verification stays on.
-- * smtp.attach{ path = "report.pdf" } reads a relative path from the
--   block's directory, which holds the FIXTURES below; io.open and a dkim
--   table's key_file do the same.
-- * os.getenv("SMTP_...") gives a made-up secret, and print's output is kept
--   for the block (the examples print their trace) instead of shown.
--
-- After the block the spec checks what the servers received: every message
-- the block tried to send (smtp.send, a session's send) arrived once, with
-- its sender, its recipients, over TLS if the call asked for it, and with
-- something of its content: the Subject and the first line of each string
-- body given to smtp.message, the first base64 line of each smtp.attach
-- file, or the first line of any other source's bytes. Each smtp.send must
-- have returned 1. A login (a user given to smtp.send or to a session's
-- auth method: the module logs in only when the password is there too)
-- must show as AUTH, with the mechanism asked for, in the server's
-- transcript. A trace must have seen the EHLO. A block that sends nothing
-- fails.

local smtp = require("socket.smtp")
local mime = require("mime")
local socket = require("socket")
local servers = require("smtp_servers")
local certificates = require("certificates")
local files = require("files")
local run_example = require("example_runner")

-- The repository's root, from this file's path (busted runs from the root,
-- but the path says it either way).
local ROOT = debug.getinfo(1, "S").source:match("^@(.-)spec/docs/[^/]*$") or ""
local DOCUMENTS = { "README.md", "docs/api.md" }
local NOT_RUNNABLE = "not-runnable"

-- Files the examples name, made in each block's directory.
local FIXTURES = {
    ["report.pdf"] = "%PDF-1.4\n% a stand-in for the examples\n" .. ("0123456789abcdef\0\255"):rep(20) .. "\n%%EOF\n",
    ["relatório final.pdf"] = "%PDF-1.4\n% a stand-in with a UTF-8 name\n%%EOF\n",
    ["logo.png"] = "\137PNG\r\n\26\n a stand-in for the examples",
    -- A throwaway Ed25519 key, for the DKIM examples.
    ["mail2026.pem"] = "-----BEGIN PRIVATE KEY-----\n"
        .. "MC4CAQAwBQYDK2VwBCIEIFHFeefcXt7vlDXbWEMV+CinI/uUfGmZelbV6LeyZCcG\n"
        .. "-----END PRIVATE KEY-----\n",
}

-- What the servers offer: PIPELINING, so the pipelined envelope runs; every
-- AUTH mechanism the module has; STARTTLS before TLS only.
local EXTENSIONS = { "PIPELINING", "8BITMIME", "AUTH LOGIN PLAIN XOAUTH2" }
local PLAIN_EXTENSIONS = { "PIPELINING", "8BITMIME", "STARTTLS", "AUTH LOGIN PLAIN XOAUTH2" }

local SECRET = "example-secret"
local TIMEOUT = 10 -- smtp.TIMEOUT while a block runs: a hung example fails in seconds
local SETTINGS = { "SERVER", "PORT", "DOMAIN", "TIMEOUT", "ZONE" }

-- The ```lua blocks of a Markdown file, in order: { document, line (of the
-- opening fence), info (what follows "lua" on it), code }. Fences of other
-- languages are stepped over whole.
local function lua_blocks(document)
    local text = files.read(ROOT .. document)
    assert(text, "cannot read " .. ROOT .. document)
    local found, block, other = {}, nil, false
    local number = 0
    for line in text:gmatch("([^\n]*)\n") do
        number = number + 1
        if block then
            if line:match("^%s*```%s*$") then
                block.code = table.concat(block.lines, "\n") .. "\n"
                found[#found + 1] = block
                block = nil
            else
                block.lines[#block.lines + 1] = line
            end
        elseif other then
            if line:match("^%s*```%s*$") then other = false end
        else
            local info = line:match("^%s*```lua(.*)$")
            if info then
                block = { document = document, line = number, info = info:match("^%s*(.-)%s*$"), lines = {} }
            elseif line:match("^%s*```") then
                other = true
            end
        end
    end
    assert(not block, document .. ":" .. number .. ": a ```lua block is not closed")
    return found
end

local function copy(t)
    local result = {}
    for k, v in pairs(t) do result[k] = v end
    return result
end

-- "<a@b>" as the servers record it: a@b.
local function address(text)
    text = tostring(text)
    return text:match("<([^>]*)>") or text
end

local function addresses(rcpt)
    if type(rcpt) ~= "table" then rcpt = { rcpt } end
    local result = {}
    for i, to in ipairs(rcpt) do result[i] = address(to) end
    return result
end

local function first_line(text)
    return text and text:match("[^\r\n]+")
end

-- The block being run: its servers, what it tried to send, and what to
-- look for in what arrived. Set by before_each, cleared by after_each.
local state
local certs

-- The server for "implicit" (TLS from the first byte) or "starttls"
-- calls, started at the block's first such call.
local function server_for(kind)
    if not state.servers[kind] then
        local script = {
            tls = { cert = certs.cert, key = certs.key },
            extensions = kind == "implicit" and EXTENSIONS or PLAIN_EXTENSIONS,
            tls_extensions = EXTENSIONS,
        }
        if kind == "implicit" then script.tls_mode = "implicit" end
        state.servers[kind] = servers.scripted(script)
    end
    return state.servers[kind]
end

-- The tls mode the module uses for these fields (session.lua's tls_mode).
local function mode_of(fields)
    if fields.tls then return fields.tls end
    if not fields.create and tonumber(fields.port) == 465 then return "tls" end
    return "none"
end

-- A trace function that also keeps the lines, for the checks.
local function traced(trace)
    return function(line)
        state.traced[#state.traced + 1] = line
        return trace(line)
    end
end

-- The call's fields pointed at a local server (see the top of the file);
-- returns them, the server and the tls mode.
local function route(fields)
    local mode = mode_of(fields)
    local server = server_for(mode == "tls" and "implicit" or "starttls")
    local routed = copy(fields)
    if fields.server == nil and fields.port == nil then
        smtp.SERVER, smtp.PORT = server.host, server.port
    else
        routed.server, routed.port = server.host, server.port
        if mode == "tls" then routed.tls = "tls" end -- port 465's default, lost with the port
    end
    if mode ~= "none" and fields.verify ~= false then
        routed.cafile = certs.ca
        if fields.servername ~= nil then routed.servername = "localhost" end
    end
    if fields.trace ~= nil then
        state.trace_given = true
        routed.trace = traced(fields.trace)
    end
    return routed, server, mode
end

-- A login to look for in the server's transcript; mechanism nil: any.
local function expect_login(server, mechanism)
    state.logins[#state.logins + 1] = { server = server, mechanism = mechanism }
end

-- Records a message the block is sending; returns the mailt to send: the
-- same fields, with a source of unknown make wrapped to keep its bytes.
local function attempt(mailt, server, mode)
    local sent = copy(mailt)
    local entry = { from = mailt.from, rcpt = mailt.rcpt, server = server, tls = mode ~= "none" }
    local source = mailt.source
    entry.snippets = state.messages[source] or state.attached[source] and { state.attached[source] }
    if not entry.snippets and type(source) == "function" then
        local chunks = {}
        entry.chunks = chunks
        sent.source = function()
            local chunk, err = source()
            if chunk then chunks[#chunks + 1] = chunk end
            return chunk, err
        end
    end
    state.attempts[#state.attempts + 1] = entry
    return sent, entry
end

-- What to find in the data of a message made by smtp.message(mesgt): read
-- before the call, which replaces mesgt.headers.
local function snippets_of(mesgt, found)
    found = found or {}
    if type(mesgt) ~= "table" then return found end
    if type(mesgt.headers) == "table" then
        for name, value in pairs(mesgt.headers) do
            if type(name) == "string" and name:lower() == "subject" and type(value) == "string" then
                found[#found + 1] = "Subject: " .. value
            end
        end
    end
    local body = mesgt.body
    if type(body) == "string" then
        found[#found + 1] = first_line(body)
    elseif state.attached[body] then
        found[#found + 1] = state.attached[body]
    elseif type(body) == "table" then
        for i = 1, #body do snippets_of(body[i], found) end
    end
    return found
end

-- A session whose methods are the real session's, with its sends and
-- logins recorded.
local LOGINS = { auth = true, login = true, plain = true, xoauth2 = true }
local function session_proxy(session, server, mode, auth)
    local proxy = {}
    return setmetatable(proxy, {
        __index = function(_, name)
            local member = session[name]
            if type(member) ~= "function" then return member end
            return function(self, ...)
                if self == proxy then self = session end
                if name == "send" then
                    local mailt = ...
                    if type(mailt) == "table" then mailt = attempt(mailt, server, mode) end
                    return member(self, mailt, select(2, ...))
                end
                if LOGINS[name] then
                    if (...) ~= nil then
                        local mechanism = name
                        if name == "auth" then mechanism = auth end -- nil: the module's choice
                        expect_login(server, mechanism)
                    end
                end
                return member(self, ...)
            end
        end,
    })
end

-- A relative path, made the block's directory's.
local function in_block_dir(path)
    if type(path) == "string" and not path:match("^/") then return state.dir .. "/" .. path end
    return path
end

-- smtp.compose's fields with the attachments' relative paths made the
-- block's.
local function with_paths(fields)
    if type(fields) ~= "table" or type(fields.attachments) ~= "table" then return fields end
    local routed = copy(fields)
    routed.attachments = {}
    for i, attachment in ipairs(fields.attachments) do
        routed.attachments[i] = copy(attachment)
        routed.attachments[i].path = in_block_dir(attachment.path)
    end
    return routed
end

-- A dkim table with its relative key_file made the block's.
local function with_key_path(dkim)
    if type(dkim) ~= "table" or dkim.key_file == nil then return dkim end
    local routed = copy(dkim)
    routed.key_file = in_block_dir(dkim.key_file)
    return routed
end

-- The fields of smtp.send, smtp.sendmail or smtp.open with their dkim
-- table's key_file made the block's.
local function with_dkim_key(fields)
    if type(fields) ~= "table" or fields.dkim == nil then return fields end
    local routed = copy(fields)
    routed.dkim = with_key_path(fields.dkim)
    return routed
end

-- smtp.sendmail's fields that are smtp.send's, not smtp.compose's.
local CONNECTION = { server = true, port = true, create = true, user = true, password = true, domain = true,
    tls = true, cafile = true, servername = true, verify = true, auth = true, trace = true, dkim = true }

-- The module as the blocks see it.
local function module_for_examples()
    local layer = {}

    function layer.send(fields)
        local routed, server, mode = route(with_dkim_key(fields))
        local sent, entry = attempt(routed, server, mode)
        if fields.user ~= nil then expect_login(server, fields.auth) end
        local r, e = smtp.send(sent)
        entry.sent_by_send, entry.result, entry.err = true, r, e
        return r, e
    end

    function layer.open(first, port, create)
        local table_form = type(first) == "table"
        local fields = table_form and with_dkim_key(first) or { server = first, port = port, create = create }
        local routed, server, mode = route(fields)
        local session
        -- Port 465's implicit TLS, lost with the port, needs the table form.
        if table_form or routed.tls then
            session = smtp.open(routed)
        else
            session = smtp.open(routed.server, routed.port, routed.create)
        end
        return session_proxy(session, server, mode, fields.auth)
    end

    -- The envelope and the snippets come from composing the same fields:
    -- the composer writes the same bytes each time for them.
    function layer.sendmail(fields)
        local routed, server, mode = route(with_paths(with_dkim_key(fields)))
        local composet = {}
        for name, value in pairs(routed) do
            if not CONNECTION[name] then composet[name] = value end
        end
        local mesgt, envelope = smtp.compose(composet)
        local entry = { from = envelope.from, rcpt = envelope.rcpt, server = server, tls = mode ~= "none",
            snippets = snippets_of(mesgt) }
        state.attempts[#state.attempts + 1] = entry
        if fields.user ~= nil then expect_login(server, fields.auth) end
        local r, e = smtp.sendmail(routed)
        entry.sent_by_send, entry.result, entry.err = true, r, e
        return r, e
    end

    function layer.dkim(source, dkim)
        return smtp.dkim(source, with_key_path(dkim))
    end

    function layer.dkim_record(key)
        return smtp.dkim_record(with_key_path(key))
    end

    function layer.compose(fields)
        return smtp.compose(with_paths(fields))
    end

    function layer.message(mesgt)
        local snippets = snippets_of(mesgt)
        local source = smtp.message(mesgt)
        state.messages[source] = snippets
        return source
    end

    function layer.attach(options)
        local routed = options
        if type(options) == "table" then
            routed = copy(options)
            routed.path = in_block_dir(options.path)
        end
        local source = smtp.attach(routed)
        local content = files.read(routed.path)
        if content and (routed.encoding or "base64") == "base64" then
            -- the first line of the base64: 57 bytes make 76 characters
            state.attached[source] = (mime.b64(content:sub(1, 57)))
        end
        return source
    end

    -- Settings the block assigns go to the module (put back after it).
    return setmetatable(layer, {
        __index = smtp,
        __newindex = function(_, name, value) smtp[name] = value end,
    })
end

local function fake_os()
    return setmetatable({
        getenv = function(name)
            if type(name) == "string" and name:match("^SMTP_") then return SECRET end
            return os.getenv(name)
        end,
    }, { __index = os })
end

local function keep_print(...)
    local parts = {}
    for i = 1, select("#", ...) do parts[i] = tostring((select(i, ...))) end
    state.printed[#state.printed + 1] = table.concat(parts, "\t")
end

-- Runs the block's code; returns what it printed, for failure messages.
local function run_block(block)
    local name = block.document:gsub("%W", "_") .. "_line_" .. block.line .. ".lua"
    local path = state.dir .. "/" .. name
    files.write(path, block.code)
    run_example(path, module_for_examples(), state.dir, true, { print = keep_print, os = fake_os() })
end

-- The transactions each server received, once it has recorded as many as
-- were sent to it (a server records a message just after answering it).
local function received_by_server()
    local expected = {}
    for _, entry in ipairs(state.attempts) do
        expected[entry.server] = (expected[entry.server] or 0) + 1
    end
    local received = {}
    local deadline = socket.gettime() + 5
    for server, count in pairs(expected) do
        repeat
            received[server] = server:received()
            if #received[server] >= count or socket.gettime() > deadline then break end
            socket.sleep(0.05)
        until false
    end
    return received
end

local function describe_entry(entry)
    return ("from %s to %s%s"):format(tostring(entry.from),
        table.concat(addresses(entry.rcpt), ", "), entry.tls and " over TLS" or "")
end

local function same_list(a, b)
    if #a ~= #b then return false end
    for i = 1, #a do
        if a[i] ~= b[i] then return false end
    end
    return true
end

local function contains_all(data, snippets)
    for _, snippet in ipairs(snippets) do
        if not data:find(snippet, 1, true) then return false end
    end
    return true
end

local function check_delivered(block)
    local where = block.document .. ":" .. block.line
    local printed = table.concat(state.printed, "\n")
    assert(#state.attempts > 0, where .. ": the example sent nothing")
    for _, entry in ipairs(state.attempts) do
        if entry.sent_by_send then
            assert(entry.result == 1, ("%s: smtp.send %s returned %s, %s\n%s"):format(
                where, describe_entry(entry), tostring(entry.result), tostring(entry.err), printed))
        end
    end
    local received = received_by_server()
    for _, entry in ipairs(state.attempts) do
        local snippets = entry.snippets or { first_line(table.concat(entry.chunks or {})) }
        assert(#snippets > 0, where .. ": nothing to look for in the message " .. describe_entry(entry))
        local pool = received[entry.server]
        local found
        for i, transaction in ipairs(pool) do
            if transaction.mail_from == address(entry.from)
                and same_list(transaction.rcpt_tos, addresses(entry.rcpt))
                and transaction.tls == entry.tls
                and contains_all(transaction.data, snippets) then
                found = i
                break
            end
        end
        assert(found, ("%s: no message %s holding %q arrived; the server received %d message(s)\n%s"):format(
            where, describe_entry(entry), table.concat(snippets, '", "'), #pool, printed))
        table.remove(pool, found)
    end
    for _, login in ipairs(state.logins) do
        local prefix = "AUTH " .. (login.mechanism and login.mechanism:upper() or "")
        local seen = false
        for _, line in ipairs(login.server:transcript()) do
            if line:sub(1, #prefix) == prefix then seen = true end
        end
        assert(seen, where .. ": the server saw no " .. prefix)
    end
    if state.trace_given then
        local ehlo = false
        for _, line in ipairs(state.traced) do
            if line:match("^C: EHLO ") then ehlo = true end
        end
        assert(ehlo, where .. ": the trace function saw no EHLO")
    end
end

describe("the documentation's examples", function()
    setup(function() certs = certificates.create() end)
    teardown(function() if certs then certs:remove() end end)

    before_each(function()
        local saved = {}
        for _, name in ipairs(SETTINGS) do saved[name] = smtp[name] end
        state = {
            dir = files.temporary_directory("examples_spec"), saved = saved, servers = {},
            attempts = {}, logins = {}, messages = {}, attached = {}, traced = {}, printed = {},
        }
        for name, content in pairs(FIXTURES) do files.write(state.dir .. "/" .. name, content) end
        smtp.TIMEOUT = TIMEOUT
    end)

    after_each(function()
        for _, server in pairs(state.servers) do server:stop() end
        for _, name in ipairs(SETTINGS) do smtp[name] = state.saved[name] end
        files.remove(state.dir)
        state = nil
    end)

    for _, document in ipairs(DOCUMENTS) do
        local blocks = lua_blocks(document)
        local runnable = 0
        for _, block in ipairs(blocks) do
            local where = block.document .. ":" .. block.line
            if block.info == NOT_RUNNABLE then
                it(where .. " (not runnable) says why in a comment on its first line", function()
                    assert.is_truthy(block.code:match("^%s*%-%-%s*%S"),
                        where .. ": a not-runnable block must start with a comment giving the reason")
                end)
            elseif block.info ~= "" then
                it(where .. " has a known fence", function()
                    error(where .. ': unknown fence "```lua ' .. block.info .. '" (only "not-runnable" may follow lua)')
                end)
            else
                runnable = runnable + 1
                it(where .. " runs and delivers", function()
                    run_block(block)
                    check_delivered(block)
                end)
            end
        end
        it(document .. " has runnable examples", function()
            assert.is_true(runnable > 0, document .. ": no runnable ```lua block found")
        end)
    end
end)
