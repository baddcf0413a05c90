-- The request handlers of spec/nginx's private nginx (nginx_server.lua):
-- each sends mail with the module as a script inside nginx would, and
-- answers with what the send returned. Loaded in nginx's LuaJIT; the spec
-- loads it too, for the message the handlers send.
--
-- A send's fields come from the request's arguments: port, tls, cafile,
-- timeout, server, rcpt (the recipient's local part at example.com),
-- create=ngx (ngx.socket.tcp given outright); module_timeout sets
-- smtp.TIMEOUT for the send (the specs send one at a time then). The answer is "1" or
-- "nil <err>", and the failure's step when it has details.

local smtp = require("socket.smtp")

local handlers = {}

-- What every handler sends: smtp.sendmail's composer fields, fixed to the
-- byte (date, Message-ID, one text part), so that the spec can make the
-- same bytes itself.
function handlers.composed(rcpt)
    return {
        from = "Zoë Example <alice@example.com>",
        to = (rcpt or "bob") .. "@example.com",
        subject = "Grüße from nginx ✉",
        text = "Sent from a cosocket.\n.A line that starts with a dot.\n",
        date = "Mon, 30 Nov 2026 12:00:00 +0000",
        message_id = "<nginx-spec@example.com>",
    }
end

-- The smtp.sendmail table for the request's arguments.
local function mail_for(args)
    local mailt = handlers.composed(args.rcpt)
    mailt.server = args.server or "127.0.0.1"
    mailt.port = tonumber(args.port)
    mailt.tls, mailt.cafile = args.tls, args.cafile
    mailt.timeout = tonumber(args.timeout)
    if args.create == "ngx" then mailt.create = ngx.socket.tcp end
    return mailt
end

local function outcome(ok, err, details)
    if ok then return tostring(ok) end
    return ("nil %s%s"):format(tostring(err), details and " (step " .. tostring(details.step) .. ")" or "")
end

-- One smtp.sendmail.
function handlers.send()
    local args = ngx.req.get_uri_args()
    local module_timeout = smtp.TIMEOUT
    smtp.TIMEOUT = tonumber(args.module_timeout) or module_timeout
    local answer = outcome(smtp.sendmail(mail_for(args)))
    smtp.TIMEOUT = module_timeout
    ngx.say(answer)
end

-- Two messages over one smtp.open session.
function handlers.session()
    local args = ngx.req.get_uri_args()
    local session = smtp.open({ server = "127.0.0.1", port = tonumber(args.port) })
    session:greet()
    for _, rcpt in ipairs({ "bob", "carol" }) do
        local mesgt, envelope = smtp.compose(handlers.composed(rcpt))
        session:send({ from = envelope.from, rcpt = envelope.rcpt, source = smtp.message(mesgt) })
    end
    session:quit()
    session:close()
    ngx.say("1")
end

-- A send from a timer, after the request has been answered; its outcome
-- goes to the shared dict `results`, under the request's id.
function handlers.background()
    local args = ngx.req.get_uri_args()
    local mailt = mail_for(args)
    local ok, err = ngx.timer.at(0, function(premature)
        if premature then return end
        ngx.shared.results:set(args.id, outcome(smtp.sendmail(mailt)))
    end)
    ngx.say(ok and "scheduled" or "nil " .. tostring(err))
end

-- A result stored by a timer, or by a phase without cosockets.
function handlers.result()
    ngx.say(ngx.shared.results:get(ngx.req.get_uri_args().id) or "none yet")
end

-- A send where cosockets are not available (init_by_lua, log_by_lua): the
-- error it raised, stored under `key`.
function handlers.send_where_no_cosockets(key, port)
    local ok, err = pcall(smtp.sendmail, mail_for({ port = port }))
    ngx.shared.results:set(key, ok and "no error" or tostring(err))
end

return handlers
