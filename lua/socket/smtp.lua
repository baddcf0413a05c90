-- socket.smtp, as in LuaSocket 3.1, implemented in Rust by socket.smtp.core.
--
-- This file is a Lua module on purpose: Lua searches package.path before
-- package.cpath, so a native socket/smtp.so would lose to LuaSocket's
-- socket/smtp.lua wherever LuaSocket is installed.

local core = require("socket.smtp.core")
local arguments = require("socket.smtp.arguments")
local message_source = require("socket.smtp.message_source")
local body_source = require("socket.smtp.body_source")
local natives = require("socket.smtp.natives")
local dkim = require("socket.smtp.dkim")
local signing = require("socket.smtp.signing")
local nginx = require("socket.smtp.nginx")

local smtp = {
    _VERSION = core.VERSION,
    -- Read at call time, so scripts may assign them, as with LuaSocket.
    DOMAIN = os.getenv("SERVER_NAME") or "localhost",
    PORT = 25,
    SERVER = "localhost",
    TIMEOUT = 60,
    ZONE = "-0000",
}

local sessions = require("socket.smtp.session")(smtp)
local steps = sessions.steps

-- core functions report programmer mistakes as nil, message; raise them at
-- the caller's line, as a plain string like LuaSocket's errors.
function smtp.message(mesgt)
    local pieces, problem = core.message(mesgt, smtp.ZONE)
    if not pieces then error(problem, 2) end
    return message_source(pieces)
end

-- A file as an LTN12 source, read and encoded in Rust (see smtp/attach.lua).
smtp.attach = require("socket.smtp.attach")

-- A message described by what it says, made into the table smtp.message
-- takes, and its envelope: { from = "<address>", rcpt = { "<address>", ... } }.
function smtp.compose(composet)
    local mesgt, envelope = core.compose(composet, tostring(smtp.ZONE), body_source)
    if not mesgt then error(envelope, 2) end
    return mesgt, envelope
end

-- The message of an LTN12 source, DKIM-signed (see smtp/dkim.lua):
-- smtp.dkim(source, { domain =, selector =, key = or key_file =, ... }).
function smtp.dkim(source, dkimt)
    if type(source) ~= "function" then
        error(("bad argument #1 to 'dkim' (function expected, got %s)"):format(type(source)), 2)
    end
    return dkim.source(dkim.signer(dkimt, 2), source)
end

-- The DNS TXT record to publish for a DKIM key: "v=DKIM1; k=rsa; p=...".
-- `key` is the PEM text, or a dkim table with key or key_file.
function smtp.dkim_record(key)
    local record, problem = core.dkim_record(key)
    if not record then error(problem, 2) end
    return record
end

-- Connects; failures raise, as LuaSocket's socket.try does. Besides
-- LuaSocket's (server, port, create), takes one table with those fields
-- and the extension fields (tls, cafile, servername, verify, auth, trace,
-- and dkim: every message of the session is signed).
-- A session opened the LuaSocket way closes on any failure, as LuaSocket's
-- does; one opened with the table stays connected after the server rejects
-- a command, so that session:reset() can start the next message on it.
-- Either has LuaSocket's tp and try, for scripts that reach into sessions.
function smtp.open(server, port, create)
    local options, signer
    if type(server) == "table" then
        options = server
        arguments.open_table(options, 2)
        server, port, create = options.server, options.port, options.create
        signer = signing.signer(options, 2)
    else
        arguments.open(server, port, create, 2)
    end
    create = nginx.create(create, 2)
    local session, err = sessions.open(server, port, create, options, options and "table" or "arguments")
    if not session then sessions.raise(err) end
    signing.sign_with(session, signer)
    return session
end

-- The dialogue of one smtp.send: 1 (and a partial send's report), or nil,
-- err, details.
local function deliver(session, mailt)
    local ext, err, details = steps.greet(session, mailt.domain)
    if not ext then return nil, err, details end
    local ok
    ok, err, details = steps.auth(session, mailt.user, mailt.password, ext)
    if not ok then return nil, err, details end
    local report
    ok, err, report = steps.send(session, mailt)
    if not ok then return nil, err, report end
    ok, err, details = steps.quit(session)
    if not ok then return nil, err, details end
    return 1, report
end

-- Sends one message: 1 (and a partial send's report), or nil, err,
-- details. Written with plain returns rather than LuaSocket's protect, so
-- that on Lua 5.1 a create() socket may yield. The connection is closed
-- either way, as LuaSocket closes it. `signer`: the dkim field's, or nil;
-- `create`: the one nginx.create chose.
local function transmit(mailt, signer, create)
    local session, err, details = sessions.open(mailt.server, mailt.port, create, mailt)
    if not session then return nil, err, details end
    signing.sign_with(session, signer)
    local ok, outcome
    ok, outcome, details = deliver(session, mailt)
    session:close()
    if not ok then return nil, outcome, details end
    -- A partial send's report; LuaSocket returns 1 alone.
    if outcome then return 1, outcome end
    return 1
end

function smtp.send(mailt)
    arguments.send(mailt, 2)
    return transmit(mailt, signing.signer(mailt, 2), nginx.create(mailt.create, 2))
end

-- smtp.compose and smtp.send in one call: the composer's fields, and the
-- connection's fields of smtp.send (server, port, user, password, tls...).
function smtp.sendmail(mailt)
    local composet, sendt = arguments.sendmail(mailt, 2)
    local signer = signing.signer(sendt, 2)
    local create = nginx.create(sendt.create, 2)
    local mesgt, envelope = core.compose(composet, tostring(smtp.ZONE), body_source)
    if not mesgt then error(envelope, 2) end
    sendt.from, sendt.rcpt, sendt.source = envelope.from, envelope.rcpt, smtp.message(mesgt)
    -- Known when every part is a string, a file or bytes: for SIZE. A
    -- signature would add a header of its own.
    if sendt.size == nil and not signer then
        sendt.size = natives.messages[sendt.source]:size(natives.readers)
    end
    return transmit(sendt, signer, create)
end

-- LuaSocket publishes the module as socket.smtp; do the same when LuaSocket
-- is there, without requiring it.
local luasocket = require("socket.smtp.luasocket")
if luasocket then luasocket.smtp = smtp end

return smtp
