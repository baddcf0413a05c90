-- What the specs against a misbehaving scripted server share
-- (faults/like_luasocket_spec.lua, faults/matrix_spec.lua): the message they send, a
-- script that misbehaves at one step, and our two ways of sending, each
-- send checked for descriptors left open.
--
--   local faults = require("faults")
--   local step = { key = "RCPT", rcpt_index = 2 }  -- a step as scripted_server.py names it
--   local server = servers.scripted(faults.at(step, { reply = "550 no" }))
--   for _, client in ipairs(faults.OURS) do        -- native, then create = socket.tcp
--       local r, e = client.send(faults.mail_for(server, { tls = "starttls" }))
--   end

local socket = require("socket")
local ltn12 = require("ltn12")
local smtp = require("socket.smtp")
local descriptors = require("descriptors")

local faults = {
    FROM = "<alice@example.com>",
    RCPT = { "<bob@example.com>", "<carol@example.com>" },
    BODY = "Subject: faults\r\n\r\nbody",
    USER = "alice",
    PASSWORD = "secret",
}

-- A script that applies `override` at `step` only.
function faults.at(step, override)
    override.rcpt_index = step.rcpt_index
    return { steps = { [step.key] = override } }
end

-- smtp.send's table: BODY from FROM to both RCPTs, logging in as USER;
-- `fields` adds to it or replaces.
function faults.mail_for(server, fields)
    local mail = {
        from = faults.FROM,
        rcpt = { faults.RCPT[1], faults.RCPT[2] },
        source = ltn12.source.string(faults.BODY),
        server = server.host,
        port = server.port,
        user = faults.USER,
        password = faults.PASSWORD,
    }
    for key, value in pairs(fields or {}) do mail[key] = value end
    return mail
end

-- The send must close what it opened before it returns, failure or not.
faults.OURS = {
    { name = "native", send = function(mail) return descriptors.without_leaks(smtp.send, mail) end },
    {
        name = "create",
        send = function(mail)
            mail.create = socket.tcp
            return descriptors.without_leaks(smtp.send, mail)
        end,
    },
}

return faults
