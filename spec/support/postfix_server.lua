-- A real Postfix for the specs: a private instance under a temporary
-- directory (its own main.cf and master.cf, queue, data directory, Maildirs
-- and log), listening on a free 127.0.0.1 port, with PIPELINING, SIZE,
-- ENHANCEDSTATUSCODES, 8BITMIME, DSN and SMTPUTF8.
--
--   local postfix = require("postfix_server")
--   postfix.unavailable()             -- nil, or why no instance can run here
--   local server = postfix.server{ message_size_limit = 1000 }  -- default 10240000
--   server.host, server.port
--   server:maildir("bob@example.com") -- the messages delivered there so far,
--                                     -- oldest first, as stored (LF line ends)
--   server:held()                     -- postcat's text for each message on hold
--   server:log("pattern")             -- the log, once a line matches the Lua
--                                     -- pattern (no pattern: as it is now)
--   server:settle()                   -- waits until Postfix has delivered,
--                                     -- bounced or held all it accepted
--   server:stop()
--   postfix.original(message)         -- a delivered message without the
--                                     -- fields Postfix put on top of it
--
-- The mailboxes (virtual, in domains example.com and bücher.example; see
-- MAILBOXES) take alice, bob, carol, dave and josé @example.com and
-- bob@bücher.example, also as bob@xn--bcher-kva.example. Two more have a
-- role: a message with held@example.com among its recipients waits in the
-- hold queue, where :held() shows its envelope (DSN options included);
-- undeliverable@example.com is accepted at RCPT, and delivery to it then
-- fails for good, so the sender gets a bounce. Any other address in these
-- domains is refused at RCPT (550 5.1.1), any other domain too (554 5.7.1:
-- no relaying); nothing leaves the instance. DSN notices and bounces go to
-- the sender, so to alice@example.com's Maildir when she sent the message.
--
-- The system's Postfix is left alone: the Debian package's master runs
-- with -c DIR/etc and reads and writes nothing outside DIR; /etc/postfix
-- needs no main.cf and no edit (Postfix asks for a configuration directory
-- to be listed there only of commands running set-gid or not as root, and
-- every command here runs as root). The master must start as root (it
-- drops to the postfix user): as root the privileged commands run as they
-- are, else through `sudo -n` (no password); without either,
-- postfix.unavailable() says so and the specs are pending. Delivery runs
-- as nobody under root, else as the user running the specs, so that the
-- Maildirs are theirs.
--
-- Starting and stopping take some 50 ms each; instances are lent from the
-- pool (server_pool.lua) like smtp_servers.lua's, emptied of mail, held
-- messages and log for each new holder, and stopped when the spec file
-- ends. A connection an earlier holder left open could still deliver. The
-- master is started with -e, so it exits by itself after LIFETIME seconds,
-- and its children then follow.

local socket = require("socket")
local files = require("files")
local servers = require("smtp_servers")

local quote, read_file, write_file, capture, execute =
    files.quote, files.read, files.write, files.capture, files.execute

local postfix = {}

local MASTER = "/usr/lib/postfix/sbin/master"
local LIFETIME = 300 -- seconds
local START_WAIT = 10 -- seconds
local SETTLE_WAIT = 10 -- seconds, for Postfix to deliver what it accepted
local STOP_WAIT = 2 -- seconds, after each signal

local DOMAINS = { "example.com", "bücher.example", "xn--bcher-kva.example" }
-- Each address and its Maildir under DIR/mail (the trailing slash makes it
-- a Maildir). Postfix matches the U-label and A-label forms of a domain
-- separately, so bob@bücher.example is listed in both, with one Maildir.
local MAILBOXES = {
    { "alice@example.com", "alice/" },
    { "bob@example.com", "bob/" },
    { "carol@example.com", "carol/" },
    { "dave@example.com", "dave/" },
    { "josé@example.com", "josé/" },
    { "bob@bücher.example", "bob@bücher.example/" },
    { "bob@xn--bcher-kva.example", "bob@bücher.example/" },
    { "held@example.com", "held/" },
    { "undeliverable@example.com", "undeliverable/" },
}

-- The queue directories where a message waits for delivery: while any
-- holds a file, Postfix is not done (hold/ is where messages stay).
local PENDING_QUEUES = { "maildrop", "incoming", "active", "deferred" }

-- "" as root, "sudo -n " when that works without a password; nil and why
-- not otherwise. Found once.
local prefix, why_not
local function privileged()
    if prefix or why_not then return prefix, why_not end
    if not execute("test -x " .. MASTER) then
        why_not = "Postfix is not installed (make deps installs it)"
    elseif capture("id -u") == "0\n" then
        prefix = ""
    elseif execute("sudo -n true >/dev/null 2>&1") then
        prefix = "sudo -n "
    else
        why_not = "the Postfix master must start as root: run the specs as root, or with sudo that asks no password"
    end
    return prefix, why_not
end

function postfix.unavailable()
    return select(2, privileged())
end

-- Runs a shell command as root (see privileged()); true when it succeeds.
local function run(command)
    return execute(assert(privileged()) .. "sh -c " .. quote(command))
end

-- What a shell command run as root writes on its standard output.
local function output(command)
    return capture(assert(privileged()) .. "sh -c " .. quote(command))
end

-- The uid and gid that deliver to the Maildirs: nobody's under root (the
-- virtual agent refuses root), else the user's own. Found once.
local delivery_uid, delivery_gid
local function delivery_ids()
    if not delivery_uid then
        local user = privileged() == "" and " nobody" or ""
        delivery_uid, delivery_gid = capture("id -u" .. user):match("%d+"), capture("id -g" .. user):match("%d+")
    end
    return delivery_uid, delivery_gid
end

local function main_cf(dir, options)
    local uid, gid = delivery_ids()
    local lines = {
        -- Quiets the warnings about defaults that changed since Postfix 2.
        "compatibility_level = 3.6",
        "queue_directory = " .. dir .. "/queue",
        "data_directory = " .. dir .. "/data",
        -- Logging through postlogd to a file of its own (Postfix 3.4 and
        -- later); only files under the prefixes may be named.
        "maillog_file = " .. dir .. "/maillog",
        "maillog_file_prefixes = " .. dir,
        "myhostname = postfix.test",
        "inet_interfaces = 127.0.0.1",
        "inet_protocols = ipv4",
        -- Nothing local (no aliases, no /etc/aliases.db, no passwd through
        -- proxymap), no DNS.
        "mydestination =",
        "alias_maps =",
        "local_recipient_maps =",
        "smtp_dns_support_level = disabled",
        "smtpd_peername_lookup = no",
        -- Mail from 127.0.0.1 would count as local and get a Message-Id,
        -- a Date and a From added: none, so what arrives is what was sent.
        "local_header_rewrite_clients =",
        "smtputf8_enable = yes",
        ("message_size_limit = %d"):format(options.message_size_limit),
        -- The virtual agent refuses to run with a mailbox limit below
        -- message_size_limit (it does not apply to Maildirs anyway).
        "virtual_mailbox_limit = 0",
        "virtual_mailbox_domains = " .. table.concat(DOMAINS, ", "),
        "virtual_mailbox_maps = texthash:" .. dir .. "/etc/mailboxes",
        "virtual_mailbox_base = " .. dir .. "/mail",
        "virtual_uid_maps = static:" .. uid,
        "virtual_gid_maps = static:" .. gid,
        "virtual_minimum_uid = 1",
        "transport_maps = texthash:" .. dir .. "/etc/transports",
        -- Nothing leaves: no relaying, and any other destination fails.
        "smtpd_relay_restrictions = reject_unauth_destination",
        "default_transport = error:5.7.1 this test server delivers to its own mailboxes only",
        "smtpd_reject_unlisted_recipient = yes",
        "smtpd_recipient_restrictions = check_recipient_access texthash:" .. dir .. "/etc/hold",
        "biff = no",
    }
    return table.concat(lines, "\n") .. "\n"
end

-- Only the services this instance uses, none chrooted; `fail` runs
-- /bin/false, which Postfix takes as a permanent failure.
local function master_cf(port)
    return ([[
127.0.0.1:%d inet n - n - - smtpd
cleanup unix n - n - 0 cleanup
qmgr unix n - n 300 1 qmgr
rewrite unix - - n - - trivial-rewrite
bounce unix - - n - 0 bounce
defer unix - - n - 0 bounce
trace unix - - n - 0 bounce
flush unix n - n 1000? 0 flush
anvil unix - - n - 1 anvil
error unix - - n - - error
retry unix - - n - - error
virtual unix - n n - - virtual
fail unix - n n - - pipe user=nobody argv=/bin/false
postlog unix-dgram n - n - 1 postlogd
]]):format(port)
end

local function configure(dir, port, options)
    local mailboxes = {}
    for i, mailbox in ipairs(MAILBOXES) do mailboxes[i] = mailbox[1] .. " " .. mailbox[2] end
    assert(execute(("mkdir -m 755 %s"):format(quote(dir .. "/etc"))))
    write_file(dir .. "/etc/main.cf", main_cf(dir, options))
    write_file(dir .. "/etc/master.cf", master_cf(port))
    write_file(dir .. "/etc/mailboxes", table.concat(mailboxes, "\n") .. "\n")
    write_file(dir .. "/etc/transports", "undeliverable@example.com fail:\n")
    write_file(dir .. "/etc/hold", "held@example.com HOLD\n")
    -- Postfix reads a file changed in the last second or so again and
    -- again, 300 ms apart, until it is older (lest it read half a write):
    -- dated a minute back, they are read at once.
    assert(execute(("touch -d '1 minute ago' %s/*"):format(quote(dir .. "/etc"))))
    -- Made here, so that whoever runs the specs can read it; postlogd
    -- appends to it as it is.
    write_file(dir .. "/maillog", "")
end

-- The directories Postfix's own post-install would make: the queue's owned
-- by root and by the postfix user, postdrop's group on the two it shares
-- with set-gid commands; the Maildirs' by the delivery uid.
local function make_directories(dir)
    local uid, gid = delivery_ids()
    local queue = quote(dir .. "/queue")
    local owned = {}
    for _, name in ipairs({ "active", "bounce", "corrupt", "defer", "deferred", "flush", "hold",
        "incoming", "private", "saved", "trace" }) do
        owned[#owned + 1] = queue .. "/" .. name
    end
    return run(table.concat({
        ("install -d -o root -m 755 %s %s/pid"):format(queue, queue),
        ("install -d -o postfix -m 700 %s %s"):format(table.concat(owned, " "), quote(dir .. "/data")),
        ("install -d -o postfix -g postdrop -m 730 %s/maildrop"):format(queue),
        ("install -d -o postfix -g postdrop -m 710 %s/public"):format(queue),
        ("install -d -o %s -g %s -m 755 %s"):format(uid, gid, quote(dir .. "/mail")),
    }, " && "))
end

-- An instance: .pid (the master's, leading the process group), .dir,
-- .port, .started; :young() from smtp_servers.lua's processes.
local Instance = setmetatable({}, { __index = servers.Process })
Instance.__index = Instance

-- The pids of the instance's processes that have not exited (a zombie
-- counts as gone: nothing may reap it). Each is in the master's process
-- group: the master leads a session of its own, and Postfix's daemons
-- never leave it.
function Instance:processes()
    local pids = {}
    for stat in capture("cat /proc/[0-9]*/stat 2>/dev/null"):gmatch("[^\n]+") do
        local pid, state, group = stat:match("^(%d+) %(.*%) (%a) %-?%d+ (%d+)")
        if group == tostring(self.pid) and state ~= "Z" then pids[#pids + 1] = pid end
    end
    return pids
end

-- The master's pid, from the file only root may read; nil before the
-- master started.
function Instance:master_pid()
    return tonumber(output(("cat %s/queue/pid/master.pid 2>/dev/null"):format(quote(self.dir))):match("%d+"))
end

-- Stops the master with TERM, which it passes on to its process group,
-- then KILLs what is left of that group (this instance's processes only),
-- and removes the directory. Stopping twice does nothing more.
function Instance:stop()
    if self.stopped then return end
    self.pid = self.pid or self:master_pid() -- when the start failed half-way
    if self.pid then
        for _, signal in ipairs({ "TERM", "KILL" }) do
            if #self:processes() == 0 then break end
            local target = signal == "TERM" and self.pid or "-- -" .. self.pid
            run(("kill -%s %s 2>/dev/null"):format(signal, target))
            servers.wait_until(STOP_WAIT, function() return #self:processes() == 0 end)
        end
        local left = self:processes()
        assert(#left == 0, "Postfix processes did not stop: " .. table.concat(left, " "))
    end
    self.stopped = true
    run("rm -rf " .. quote(self.dir))
end

-- The files in the queue directories `names`, one path a line.
function Instance:queue_files(names)
    local paths = {}
    for i, name in ipairs(names) do paths[i] = quote(self.dir .. "/queue/" .. name) end
    return output("find " .. table.concat(paths, " ") .. " -type f 2>/dev/null")
end

-- Whether Postfix has delivered, bounced or held every message it took.
function Instance:settled()
    return self:queue_files(PENDING_QUEUES) == ""
end

function Instance:log()
    return read_file(self.dir .. "/maillog") or ""
end

-- Whether a socket listens on 127.0.0.1:port: the master opens it before
-- -w returns, so this costs nothing. /proc tells without connecting, which
-- would make the master start an smtpd, and Postfix log a lost connection.
local function listening(port)
    local pattern = ("\n *%%d+: 0100007F:%04X 00000000:0000 0A "):format(port)
    return (read_file("/proc/net/tcp") or ""):find(pattern) ~= nil
end

local function start(options)
    local dir = files.temporary_directory("postfix")
    local instance = setmetatable({ dir = dir, port = servers.free_port(), started = socket.gettime() }, Instance)
    local ok, err = pcall(function()
        -- The postfix user must reach etc/ and queue/ through it.
        assert(execute("chmod 755 " .. quote(dir)))
        configure(dir, instance.port, options)
        assert(make_directories(dir), "cannot make Postfix's directories")
        -- -w: returns once the master has started, with its status.
        local started = output(("%s -c %s -w -e %d 2>&1; echo \"exit $?\""):format(
            MASTER, quote(dir .. "/etc"), LIFETIME))
        assert(started:match("exit 0\n$"), "the Postfix master did not start: " .. started)
        instance.pid = assert(instance:master_pid(), "no master.pid")
        assert(servers.wait_until(START_WAIT, function() return listening(instance.port) end),
            "Postfix does not listen on port " .. instance.port)
    end)
    if not ok then
        local log = instance:log()
        instance:stop()
        error(tostring(err) .. "\n" .. log, 0)
    end
    return instance
end

-- Readies an idle instance for a new holder: once its queue has settled
-- (else it is not reused), no mail, no held message, an empty log.
local function reset(instance)
    if not instance:young() or not servers.wait_until(SETTLE_WAIT, function() return instance:settled() end) then
        return false
    end
    write_file(instance.dir .. "/maillog", "")
    return run(("rm -rf %s/* %s/*"):format(quote(instance.dir .. "/mail"), quote(instance.dir .. "/queue/hold")))
end

-- What the specs hold: a lease on an instance.
local Server = setmetatable({}, { __index = servers.Server })
Server.__index = Server

function postfix.server(options)
    assert(not postfix.unavailable(), postfix.unavailable())
    for key in pairs(options or {}) do
        assert(key == "message_size_limit", "unknown option " .. tostring(key))
    end
    local limit = (options or {}).message_size_limit or 10240000
    -- The master could only fail, and say why nowhere: it logs through
    -- postlogd, which is not up yet.
    assert(type(limit) == "number" and limit > 0 and limit % 1 == 0, "message_size_limit: a whole number of bytes")
    options = { message_size_limit = limit }
    return servers.lease(Server, "postfix " .. servers.json(options), function()
        return start(options)
    end, reset)
end

function Server:settle()
    servers.check_held(self)
    local process = self.process
    assert(servers.wait_until(SETTLE_WAIT, function() return process:settled() end),
        "Postfix still has mail to deliver:\n" .. process:queue_files(PENDING_QUEUES) .. process:log())
    return self
end

function Server:maildir(address)
    local box
    for _, mailbox in ipairs(MAILBOXES) do
        if mailbox[1] == address then box = mailbox[2] end
    end
    assert(box, "no mailbox for " .. address)
    self:settle()
    local new = self.dir .. "/mail/" .. box .. "new/"
    local messages = {}
    for name in capture(("ls -1rt %s 2>/dev/null"):format(quote(new))):gmatch("[^\n]+") do
        messages[#messages + 1] = assert(read_file(new .. name))
    end
    return messages
end

-- postcat's text for each message on hold, oldest first: its envelope
-- (sender, recipients, named attributes such as notify_flags and
-- dsn_orig_rcpt) and its content.
function Server:held()
    self:settle()
    local texts = {}
    local etc, hold = quote(self.dir .. "/etc"), self.dir .. "/queue/hold/"
    for id in output("ls -1rt " .. quote(hold)):gmatch("[^\n]+") do
        texts[#texts + 1] = output(("postcat -c %s %s"):format(etc, quote(hold .. id)))
    end
    return texts
end

-- postlogd writes each line a little after the daemon logged it: a caller
-- that expects a line waits for it.
function Server:log(pattern)
    servers.check_held(self)
    local process = self.process
    if not pattern then return process:log() end
    return servers.wait_until(SETTLE_WAIT, function()
        local log = process:log()
        return log:find(pattern) and log
    end) or error("Postfix logged no line matching " .. pattern .. ":\n" .. process:log())
end

-- The fields Postfix puts on top of a message it delivers: Return-Path,
-- X-Original-To, Delivered-To and its Received (over several lines).
local PREPENDED = { "Return%-Path", "X%-Original%-To", "Delivered%-To", "Received" }

function postfix.original(message)
    for _, name in ipairs(PREPENDED) do
        local after = message:match("^" .. name .. ":[^\n]*\n(.*)$")
        assert(after, "the message does not start with Postfix's " .. name .. " field:\n" .. message)
        message = after
        while message:find("^[ \t]") do message = message:match("^[^\n]*\n(.*)$") end
    end
    return message
end

return postfix
