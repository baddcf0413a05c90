-- SMTP sessions: the object smtp.open returns, and the steps smtp.send is
-- made of. socket.smtp.core holds the protocol; this file runs it.
--
-- On the native path the core does the I/O itself. On the create path every
-- socket call is made here, from Lua, so that a socket whose methods yield
-- (copas, an OpenResty-style shim) suspends the caller's coroutine instead
-- of failing with "attempt to yield across a C-call boundary". For the same
-- reason nothing here wraps socket calls in pcall: Lua 5.1 cannot yield
-- across it. Failures travel as nil, err instead.

local core = require("socket.smtp.core")
local arguments = require("socket.smtp.arguments")
local natives = require("socket.smtp.natives")
local signing = require("socket.smtp.signing")
local luasocket = require("socket.smtp.luasocket")
local newtry = require("socket.smtp.try")
local new_tp = require("socket.smtp.tp")
local nginx = require("socket.smtp.nginx")

-- What the core's values are: each of its returns starts with one of these
-- tags (see src/lua/session.rs).
local WRITE, READ, CONNECT, BODY = "write", "read", "connect", "body"
local DONE, READY, SENT, FAILED = "done", "ready", "sent", "failed"
local SOURCE, PUMPED = "source", "pumped"

-- What smtp.open's methods raise on failure: what LuaSocket's socket.try
-- raises (see try.lua).
local try = newtry()
local function raise(err) try(nil, err) end

-- `settings` is the module table: DOMAIN, SERVER, PORT and TIMEOUT are read
-- from it at call time, as LuaSocket reads its constants.
return function(settings)
    local Session = {}
    Session.__index = Session

    -- Hands the dialogue's new lines to the script's trace function.
    local function show(self)
        local lines = self.protocol:traced()
        if lines then
            for i = 1, #lines do self.trace(lines[i]) end
        end
    end

    local plug

    -- Runs the operation under way from its step `tag, value` until it
    -- needs more of Lua than I/O: returns that step. Plain text is read by
    -- lines; TLS by exact byte counts, which the core knows from the record
    -- headers. A lost connection is made again where the core says so.
    local function run(self, tag, value, extra, more)
        local protocol, trace = self.protocol, self.trace
        while true do
            if trace then show(self) end
            if tag == WRITE then
                local sent, err = self.sock:send(value)
                if not sent then return protocol:failed(err, true) end
            elseif tag == READ then
                local data, err = self.sock:receive(value or "*l")
                if not data then return protocol:failed(err, true) end
                if value then protocol:receive(data) else protocol:receive_line(data) end
            elseif tag == CONNECT then
                local ok, err = plug(self)
                if not ok then return protocol:failed(err, true) end
            else
                return tag, value, extra, more
            end
            tag, value, extra, more = protocol:advance()
        end
    end

    -- A failure of the connection ends it; `reset` makes a new one.
    -- `details` says what failed (see the core's details).
    local function failed(self, err, details)
        self.protocol:disconnect()
        if not self.closed then
            self.closed = true
            if self.sock then self.sock:close() end
        end
        return nil, err, details
    end

    -- Runs an operation from its first step. A refusal (nothing was sent)
    -- and a rejection (the server said no) end a LuaSocket-style session,
    -- as LuaSocket ends it; one opened with smtp.open{...} stays connected,
    -- to go on after `reset`.
    -- On success: the reply's code and text (and a partial transaction's
    -- report), or true; else nil, err, details.
    local function exchange(self, ...)
        local tag, value, extra, more = run(self, ...)
        if tag == DONE then
            if more then return value, extra, more end
            return value, extra
        end
        if tag == BODY or tag == READY then return true end
        if tag == SENT then return value end
        if tag ~= FAILED and self.keeps_connection then return nil, value, extra end
        return failed(self, value, extra)
    end

    -- A chunk must be a string; numbers pass, as LuaSocket's filters allow.
    local function chunk_text(chunk)
        if type(chunk) == "number" then return tostring(chunk) end
        error("bad chunk from the message source (string expected, got " .. type(chunk) .. ")", 3)
    end

    -- Adds `chunk` to the body with `add` (the core's body or
    -- body_encoded); 1 while more is wanted, else nil, err.
    local function add_chunk(self, add, ...)
        local tag, value, extra = add(self.protocol, ...)
        if tag ~= BODY then
            tag, value, extra = run(self, tag, value, extra)
            if tag ~= BODY then return nil, value, extra end
        end
        return 1
    end

    -- The sink a step writes into; it dot-stuffs, as LuaSocket's chain does.
    local function body_sink(self)
        local add = self.protocol.body
        return function(chunk)
            if not chunk then return 1 end
            if type(chunk) ~= "string" then chunk = chunk_text(chunk) end
            local ok, err, details = add_chunk(self, add, chunk)
            -- ltn12 passes nil, err on: the details wait for pump_with.
            self.sink_failure = details
            return ok, err
        end
    end

    -- ltn12.pump.all with pump.step, without a call per chunk to either.
    -- `protected`: errors the source raises come back as nil, err, as from
    -- a body source inside LuaSocket's coroutine-based message source.
    -- smtp.compose's encoding of a script's source is pumped from that
    -- source, each chunk encoded in Rust straight into the body: no Lua
    -- string is made for an encoded chunk (on Lua 5.4's generational
    -- collector such strings outlived their use and piled up).
    local function pump(self, source, protected)
        local stream = natives.streams[source]
        local add = self.protocol.body
        if stream then
            local encoder = stream.encoder
            source = stream.source
            add = function(protocol, chunk) return protocol:body_encoded(encoder, chunk) end
        end
        while true do
            local chunk, err
            if protected then
                local ok
                ok, chunk, err = pcall(source)
                if not ok then return nil, chunk end
            else
                chunk, err = source()
            end
            if not chunk then
                if err then return nil, err end
                -- A plain source is done; an encoded one has its last bytes.
                if not stream then return 1 end
            elseif type(chunk) ~= "string" then
                chunk = chunk_text(chunk)
            end
            local ok, add_err, details = add_chunk(self, add, chunk)
            if not ok then return nil, add_err, details end
            if not chunk then return 1 end
        end
    end

    -- ltn12.pump.all with a script's own step.
    local function pump_with(self, source, step)
        local sink = body_sink(self)
        while true do
            local ok, err = step(source, sink)
            if not ok then
                if err then return nil, err, self.sink_failure end
                return 1
            end
        end
    end

    -- A message made by smtp.message: its pieces are pulled in Rust, and so
    -- are the module's own attachments inside it; only a script's own body
    -- sources are called from here.
    local function pump_message(self, pieces)
        local protocol, readers = self.protocol, natives.readers
        while true do
            local tag, value, extra = protocol:pump(pieces, readers)
            if tag == PUMPED then return 1 end
            if tag == WRITE then
                local sent, err = self.sock:send(value)
                if not sent then return nil, select(2, protocol:failed(err, true)) end
            elseif tag == SOURCE then
                local ok, err, details = pump(self, value, true)
                if not ok then return nil, err, details end
            else
                return nil, value, extra
            end
        end
    end

    -- The body from `source` (pumped with `step` if given), then its end.
    local function deliver_body(self, source, step)
        source = signing.source(self, source)
        local pieces = not step and natives.messages[source]
        local pumped, pump_err, details
        if pieces then
            pumped, pump_err, details = pump_message(self, pieces)
            if not pumped then pieces:abandon() end
        elseif step then
            pumped, pump_err, details = pump_with(self, source, step)
        else
            pumped, pump_err, details = pump(self, source)
        end
        -- SMTP cannot take back data already sent: only closing the
        -- connection keeps a part of the message from being delivered.
        if not pumped then
            -- Without details, the failure is the source's own.
            if not details then details = select(3, self.protocol:failed(pump_err, false)) end
            return failed(self, pump_err, details)
        end
        return exchange(self, self.protocol:finish())
    end

    -- The steps: each returns its result, or closes the session and
    -- returns nil, err.
    local steps = {}

    -- The greeting and EHLO, then STARTTLS and EHLO again as the tls mode
    -- says. Returns the extension list: after STARTTLS, only the new EHLO's
    -- counts (RFC 3207).
    function steps.greet(self, domain)
        local code, ext, details = exchange(self, self.protocol:greet(domain or settings.DOMAIN))
        if not code then return nil, ext, details end
        return ext
    end

    function steps.mail(self, from) return exchange(self, self.protocol:mail(from)) end
    function steps.rcpt(self, to) return exchange(self, self.protocol:rcpt(to)) end
    function steps.quit(self) return exchange(self, self.protocol:quit()) end

    function steps.login(self, user, password) return exchange(self, self.protocol:login(user, password)) end
    function steps.plain(self, user, password) return exchange(self, self.protocol:plain(user, password)) end
    function steps.xoauth2(self, user, token) return exchange(self, self.protocol:xoauth2(user, token)) end

    -- The mechanism the session's auth option names, else LuaSocket's
    -- choice from the EHLO reply `ext`.
    function steps.auth(self, user, password, ext)
        if not user or not password then return 1 end
        return exchange(self, self.protocol:authenticate(user, password, ext))
    end

    function steps.data(self, source, step)
        local open, err, details = exchange(self, self.protocol:data())
        if not open then return nil, err, details end
        return deliver_body(self, source, step)
    end

    -- MAIL FROM and RCPT TO (in one write when the server pipelines), DATA,
    -- then the data. With `partial`, the reply to the data comes with the
    -- recipients' report.
    function steps.send(self, mailt)
        local open, err, details = exchange(self, self.protocol:send(mailt.from, mailt.rcpt,
            mailt.partial == true, mailt.body, mailt.size, mailt.dsn))
        if not open then return nil, err, details end
        return deliver_body(self, mailt.source, mailt.step)
    end

    -- RSET, so that the next message starts afresh after a failed one. If
    -- the failure cost the connection, a new one is made and readied as
    -- the lost one was, greeting and login included.
    function steps.reset(self)
        return exchange(self, self.protocol:reset(settings.DOMAIN))
    end

    function Session:close()
        if not self.closed then
            self.closed = true
            if self.sock then self.sock:close() end
        end
        self.protocol:close()
        return 1
    end

    -- Sets TCP_NODELAY on a create() socket when it takes options; a socket
    -- that does not is used as it is.
    local function no_delay(sock)
        pcall(function() return sock:setoption("tcp-nodelay", true) end)
    end

    -- Connects through create(); returns the socket, or nil, err.
    local function connect_with(create, server, port, timeout)
        local sock, err = create()
        if not sock then return nil, err end
        sock:settimeout(timeout)
        local connected, connect_err = sock:connect(server, port)
        if not connected then
            sock:close()
            return nil, connect_err
        end
        no_delay(sock)
        return sock
    end

    -- Gives the session a new connection: through create(), over which Lua
    -- runs the session; natively; or, for a session a script can reach into
    -- (`tp`), with LuaSocket's socket.tcp when LuaSocket is there, for tp.c
    -- to be that socket: until a script takes it, the core runs the session
    -- over its descriptor, as fast as natively. Returns true, or nil, err.
    -- The socket's timeout bounds each call; the core's, each reply over
    -- all the calls that read it (a multi-line reply that never ends can
    -- answer every call in time).
    function plug(self)
        local protocol, create = self.protocol, self.create
        if not create and self.tp and luasocket then
            create = luasocket.tcp
        elseif not create then
            local ok, err = protocol:connect(self.server, self.port)
            if not ok then return nil, err end
            self.closed = false
            return true
        end
        local sock, err = connect_with(create, self.server, self.port, self.timeout)
        if not sock then return nil, err end
        if not self.create then
            local attached, attach_err = protocol:attach(sock:getfd())
            if not attached then
                sock:close()
                return nil, attach_err
            end
        end
        self.sock, self.closed = sock, false
        return true
    end

    -- What session.tp does through the session (see tp.lua).
    local session_io = {}

    -- A command of the script's own: its length, or nil, err (LuaSocket's
    -- tp:command, so without the details).
    function session_io.command(self, cmd, arg)
        local sent, err = exchange(self, self.protocol:command(cmd, arg))
        return sent, err
    end

    -- The next reply, whatever its code: code, reply, or nil, err.
    function session_io.check(self)
        return exchange(self, self.protocol:check())
    end

    -- The socket, handed to Lua: the core does no more I/O of its own. A
    -- native session has none (LuaSocket could not be loaded).
    function session_io.socket(self)
        if not self.sock then return nil end
        self.protocol:detach()
        return self.sock
    end

    function session_io.replace(self, sock) self.sock = sock end

    local tp_for = new_tp(session_io)

    -- Connects; returns a session, or nil, err. `options` holds the
    -- extension fields (tls, cafile, servername, verify, auth, trace, timeout);
    -- `form` is how smtp.open was called, "arguments" or "table" (nil for
    -- smtp.send's own session). smtp.open's sessions have LuaSocket's tp and
    -- try; the table form's stay connected after refusals and rejections.
    local function open(server, port, create, options, form)
        server, port = server or settings.SERVER, port or settings.PORT
        -- The call's own timeout, else the module's, read now.
        local timeout = options and options.timeout or settings.TIMEOUT or 60
        local self = setmetatable({
            server = server, port = port, create = create, timeout = timeout,
            trace = options and options.trace, keeps_connection = form == "table",
            -- nginx's cosockets stand in for the native socket: port 465
            -- keeps meaning implicit TLS.
            protocol = core.session(options, server, port, create ~= nil and create ~= nginx.tcp, timeout),
        }, Session)
        if form then
            self.tp = tp_for(self)
            self.try = newtry(function() self:close() end)
        end
        local ok, err = plug(self)
        local details
        if ok then
            ok, err, details = exchange(self, self.protocol:open())
        else
            details = select(3, self.protocol:failed(err, true))
        end
        if not ok then
            self:close()
            return nil, err, details
        end
        return self
    end

    -- smtp.open's methods: the steps, raising on failure.
    -- The details of a failure that raised are kept for Session:failure.
    local function check(self, first, ...)
        if first == nil then
            local err, details = ...
            self.last_failure = details
            raise(err)
        end
        return first, ...
    end
    for name, step in pairs(steps) do
        Session[name] = function(self, ...)
            arguments.method(name, 2, ...)
            return check(self, step(self, ...))
        end
    end
    -- LuaSocket's send returns nothing; with `partial`, the recipients'
    -- report.
    function Session:send(mailt)
        arguments.message(mailt, 2)
        local _, _, report = check(self, steps.send(self, mailt))
        if mailt.partial then return report end
    end

    -- What the last failure that raised was: { step =, code =, status =,
    -- transient =, reply = } (see docs/api.md).
    function Session:failure()
        return self.last_failure
    end

    return { open = open, steps = steps, raise = raise }
end
