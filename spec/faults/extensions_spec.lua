-- Faults in the ESMTP extensions' branches, from a scripted server that
-- offers SMTPUTF8, DSN and SIZE: the command with the extension's
-- parameters rejected, answered with garbage, or never answered. Each send
-- (native and through create) returns nil, err, details within TIMEOUT and
-- leaves no descriptor open (faults.OURS checks that).

local socket = require("socket")
local smtp = require("socket.smtp")
local servers = require("smtp_servers")
local faults = require("faults")

local TIMEOUT = 0.2
local EXTENSIONS = { "AUTH PLAIN", "SMTPUTF8", "DSN", "SIZE 100000", "PIPELINING" }

-- Fields that make MAIL carry SMTPUTF8, SIZE and RET, and RCPT NOTIFY;
-- partial, so each failure's details carry the report so far (none for a
-- timeout, which loses the connection's state).
local FIELDS = {
    from = "<jos\195\169@example.com>",
    size = 500,
    dsn = { ret = "hdrs", notify = { "failure" } },
    partial = true,
}

local CASES = {
    { what = "MAIL with SMTPUTF8 rejected", step = { key = "MAIL" },
      override = { reply = "555 5.5.4 SMTPUTF8 not accepted" }, err = "555 5.5.4 SMTPUTF8 not accepted",
      details = { step = "mail", code = 555, status = "5.5.4", transient = false,
          reply = "555 5.5.4 SMTPUTF8 not accepted", accepted = {}, rejected = {} } },
    { what = "RCPT with NOTIFY answered with garbage", step = { key = "RCPT", rcpt_index = 1 },
      override = { reply = "NOTIFY? what is that" }, err = "invalid server reply",
      details = { step = "rcpt", transient = false, accepted = {}, rejected = {} } },
    { what = "RCPT with NOTIFY never answered", step = { key = "RCPT", rcpt_index = 2 },
      override = { silent = true }, err = "timeout", details = { step = "rcpt", transient = true } },
    { what = "the data refused after SIZE was accepted", step = { key = "END" },
      override = { reply = "552 5.3.4 message too big after all" }, err = "552 5.3.4 message too big after all",
      details = { step = "message", code = 552, status = "5.3.4", transient = false,
          reply = "552 5.3.4 message too big after all", accepted = faults.RCPT, rejected = {} } },
}

describe("a fault in an extension's branch", function()
    local timeout
    before_each(function() timeout = smtp.TIMEOUT; smtp.TIMEOUT = TIMEOUT end)
    after_each(function() smtp.TIMEOUT = timeout end)

    for _, case in ipairs(CASES) do
        it(("%s gives nil, err, details"):format(case.what), function()
            local script = faults.at(case.step, case.override)
            script.extensions = EXTENSIONS
            local server = servers.scripted(script)
            for _, client in ipairs(faults.OURS) do
                local began = socket.gettime()
                local results = { client.send(faults.mail_for(server, FIELDS)) }
                local took = socket.gettime() - began
                assert.are.same({ nil, case.err, case.details }, results, client.name)
                assert.is_true(took < 2 * TIMEOUT + 1, ("%s took %.2f s"):format(client.name, took))
            end
        end)
    end
end)
