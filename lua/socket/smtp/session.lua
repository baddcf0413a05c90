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
local luasocket = require("socket.smtp.luasocket")
local newtry = require("socket.smtp.try")
local new_tp = require("socket.smtp.tp")

local WRITE, READ = "write", "read"
local unpack = table.unpack or unpack
local NO_OPTIONS = {}

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

    -- Runs the operation under way until it wants a body chunk (true), ends
    -- (code, reply), is rejected (false, reply), finishes a TLS handshake
    -- (version, cipher) or fails (nil, err). Plain text is read by lines;
    -- TLS by exact byte counts, which the core knows from the record headers.
    local function run(self)
        local protocol, sock, trace = self.protocol, self.sock, self.trace
        while true do
            local step, value = protocol:advance()
            if trace then show(self) end
            if step == WRITE then
                local sent, err = sock:send(value)
                if not sent then return nil, err end
            elseif step == READ then
                local data, err = sock:receive(value or "*l")
                if not data then return nil, err end
                if value then protocol:receive(data) else protocol:receive_line(data) end
            else
                return step, value
            end
        end
    end

    local function disconnect(self)
        if not self.closed then
            self.closed = true
            if self.protocol then self.protocol:close() end
            if self.sock then self.sock:close() end
        end
    end

    -- A failure of the connection ends it; `reset` reconnects.
    local function failed(self, err)
        if not self.closed then
            disconnect(self)
            self.lost = true
        end
        return nil, err
    end

    -- Runs the operation that `started, problem` reports on. A refusal
    -- (nothing was sent) and a rejection (the server said no) end a
    -- LuaSocket-style session, as LuaSocket ends it; one opened with
    -- smtp.open{...} stays connected, to go on after `reset`.
    local function exchange(self, started, problem)
        if not started then
            if self.keeps_connection then return nil, problem end
            return failed(self, problem)
        end
        local code, reply = run(self)
        if code then return code, reply end
        if code == false and self.keeps_connection then return nil, reply end
        return failed(self, reply)
    end

    -- A chunk must be a string; numbers pass, as LuaSocket's filters allow.
    local function chunk_text(chunk)
        if type(chunk) == "number" then return tostring(chunk) end
        error("bad chunk from the message source (string expected, got " .. type(chunk) .. ")", 3)
    end

    -- The sink a step writes into; it dot-stuffs, as LuaSocket's chain does.
    local function body_sink(self)
        local protocol = self.protocol
        return function(chunk)
            if chunk then
                if type(chunk) ~= "string" then chunk = chunk_text(chunk) end
                if protocol:body(chunk) then return run(self) end
            end
            return 1
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
        local protocol = self.protocol
        local stream = natives.streams[source]
        local add = protocol.body
        if stream then
            local encoder = stream.encoder
            source = stream.source
            add = function(p, chunk) return p:body_encoded(encoder, chunk) end
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
            local full, problem = add(protocol, chunk)
            if full == nil then return nil, problem end
            if full then
                local ok, write_err = run(self)
                if not ok then return nil, write_err end
            end
            if not chunk then return 1 end
        end
    end

    -- ltn12.pump.all with a script's own step.
    local function pump_with(self, source, step)
        local sink = body_sink(self)
        while true do
            local ok, err = step(source, sink)
            if not ok then
                if err then return nil, err end
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
            local step, value = protocol:pump(pieces, readers)
            if step == WRITE then
                local sent, err = self.sock:send(value)
                if not sent then return nil, err end
            elseif step == "source" then
                local ok, err = pump(self, value, true)
                if not ok then return nil, err end
            else
                return step, value
            end
        end
    end

    -- TLS from the next byte on: the handshake, with the session's
    -- servername (the server's name by default), cafile and verify.
    local function secure(self)
        local options = self.options
        return exchange(self, self.protocol:secure(options.servername or self.server,
            options.cafile, options.verify ~= false))
    end

    -- AUTH with `mechanism`. With tls = "starttls" or "tls", credentials
    -- go out only under TLS. Accepted credentials are kept, for `reset` to
    -- log in again on a new connection.
    local function credentials(self, mechanism, user, secret)
        if self.needs_tls and not self.protocol:is_secure() then
            return exchange(self, nil, "credentials refused: the connection is not encrypted")
        end
        local protocol = self.protocol
        local code, reply = exchange(self, protocol[mechanism](protocol, user, secret))
        if code then self.credentials = { mechanism, user, secret } end
        return code, reply
    end

    -- The greeting and EHLO (the first EHLO under implicit TLS); then
    -- STARTTLS when the tls mode asks for it. Returns EHLO's code and reply.
    local function greeting(self, domain)
        self.domain = domain
        local code, ext = exchange(self, self.protocol:greet(domain))
        if not code then return nil, ext end
        local mode = self.mode
        if mode == "starttls" or mode == "auto" and self.protocol:offers_starttls() then
            local ok, err = exchange(self, self.protocol:starttls())
            if not ok then return nil, err end
            ok, err = secure(self)
            if not ok then return nil, err end
            return exchange(self, self.protocol:ehlo(domain))
        end
        return code, ext
    end

    -- The steps: each returns its result, or closes the session and
    -- returns nil, err.
    local steps = {}

    -- Returns the extension list: after STARTTLS, only the new EHLO's
    -- counts (RFC 3207).
    function steps.greet(self, domain)
        local code, ext = greeting(self, domain or settings.DOMAIN)
        if not code then return nil, ext end
        return ext
    end

    function steps.mail(self, from) return exchange(self, self.protocol:mail(from)) end
    function steps.rcpt(self, to) return exchange(self, self.protocol:rcpt(to)) end
    function steps.quit(self) return exchange(self, self.protocol:quit()) end

    function steps.login(self, user, password) return credentials(self, "login", user, password) end
    function steps.plain(self, user, password) return credentials(self, "plain", user, password) end
    function steps.xoauth2(self, user, token) return credentials(self, "xoauth2", user, token) end

    -- The session's auth option forces a mechanism; else LuaSocket's
    -- choice from the EHLO reply.
    function steps.auth(self, user, password, ext)
        if not user or not password then return 1 end
        local mechanism = self.options.auth or type(ext) == "string" and core.auth_mechanism(ext)
        if not mechanism then return exchange(self, nil, "authentication not supported") end
        return steps[mechanism](self, user, password)
    end

    function steps.data(self, source, step)
        local open, err = exchange(self, self.protocol:data())
        if not open then return nil, err end
        local pieces = not step and natives.messages[source]
        local pumped, pump_err
        if pieces then
            pumped, pump_err = pump_message(self, pieces)
            if not pumped then pieces:abandon() end
        elseif step then
            pumped, pump_err = pump_with(self, source, step)
        else
            pumped, pump_err = pump(self, source)
        end
        -- SMTP cannot take back data already sent: only closing the
        -- connection keeps a part of the message from being delivered.
        if not pumped then return failed(self, pump_err) end
        self.protocol:end_body()
        return exchange(self, true)
    end

    -- MAIL FROM and RCPT TO (in one write when the server pipelines), then
    -- the data.
    function steps.send(self, mailt)
        local accepted, err = exchange(self, self.protocol:envelope(mailt.from, mailt.rcpt))
        if not accepted then return nil, err end
        return steps.data(self, mailt.source, mailt.step)
    end

    function Session:close()
        disconnect(self)
        self.lost = false
        return 1
    end


    -- Sets TCP_NODELAY on a create() socket when it takes options; a socket
    -- that does not is used as it is.
    local function no_delay(sock)
        pcall(function() return sock:setoption("tcp-nodelay", true) end)
    end

    -- The tls mode: as given; else implicit TLS on port 465, where plain
    -- SMTP could only fail, unless create() brings its own socket (which
    -- may do TLS itself, as lua-sendmail's LuaSec proxy does); else none.
    local function tls_mode(tls, port, create)
        if tls then return tls end
        if not create and tonumber(port) == 465 then return "tls" end
        return "none"
    end

    -- Connects through create(); returns the session's protocol, for Lua to
    -- run over the socket, and the socket, or nil, err.
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
        -- The socket's timeout bounds each call; the core's, each reply over
        -- all the calls that read it (a multi-line reply that never ends can
        -- answer every call in time).
        return core.session(timeout), sock
    end

    -- Connects, native or through create(); returns the session's protocol
    -- and socket (none on the native path), or nil, err. A session a script
    -- can reach into (`exposed`) connects with LuaSocket's socket.tcp when
    -- LuaSocket is there, for tp.c to be that socket; until a script takes
    -- it, the core runs the session over its descriptor, as fast as natively.
    local function connect(server, port, create, timeout, exposed)
        if create then return connect_with(create, server, port, timeout) end
        if not (exposed and luasocket) then return core.connect(server, port, timeout) end
        local protocol, sock = connect_with(luasocket.tcp, server, port, timeout)
        if not protocol then return nil, sock end
        local attached, err = protocol:attach(sock:getfd())
        if not attached then
            sock:close()
            return nil, err
        end
        return protocol, sock
    end

    -- Connects `self`, and starts implicit TLS if its mode says so; returns
    -- true, or nil, err.
    local function start(self)
        local protocol, sock = connect(self.server, self.port, self.create, settings.TIMEOUT or 60,
            self.tp ~= nil)
        if not protocol then return nil, sock end
        self.protocol, self.sock, self.closed, self.lost = protocol, sock, false, false
        if self.trace then protocol:trace() end
        if self.mode == "tls" then return secure(self) end
        return true
    end

    -- A connection the session lost in a failure: a new one, greeted with
    -- the last domain, and logged in again if the session had logged in.
    -- Returns the last reply's code and text.
    local function reconnect(self)
        local ok, err = start(self)
        if not ok then return nil, err end
        local code, reply = greeting(self, self.domain or settings.DOMAIN)
        if not code or not self.credentials then return code, reply end
        local mechanism, user, secret = unpack(self.credentials)
        return credentials(self, mechanism, user, secret)
    end

    -- RSET, so that the next message starts afresh after a failed one. If
    -- the failure cost the connection, a new one is opened instead.
    function steps.reset(self)
        if self.lost then return reconnect(self) end
        return exchange(self, self.protocol:reset())
    end

    -- What session.tp does through the session (see tp.lua).
    local session_io = {}

    -- A command of the script's own: its length, or nil, err.
    function session_io.command(self, cmd, arg)
        return exchange(self, self.protocol:command(cmd, arg))
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
    -- extension fields (tls, cafile, servername, verify, auth, trace);
    -- `form` is how smtp.open was called, "arguments" or "table" (nil for
    -- smtp.send's own session). smtp.open's sessions have LuaSocket's tp and
    -- try; the table form's stay connected after refusals and rejections.
    local function open(server, port, create, options, form)
        server, port = server or settings.SERVER, port or settings.PORT
        options = options or NO_OPTIONS
        local mode = tls_mode(options.tls, port, create)
        local self = setmetatable({
            server = server, port = port, create = create, options = options,
            mode = mode, needs_tls = mode == "starttls" or mode == "tls",
            trace = options.trace, keeps_connection = form == "table",
        }, Session)
        if form then
            self.tp = tp_for(self)
            self.try = newtry(function() self:close() end)
        end
        local ok, err = start(self)
        if not ok then
            self:close()
            return nil, err
        end
        return self
    end

    -- smtp.open's methods: the steps, raising on failure.
    local function check(first, ...)
        if first == nil then raise((...)) end
        return first, ...
    end
    for name, step in pairs(steps) do
        Session[name] = function(self, ...)
            arguments.method(name, 2, ...)
            return check(step(self, ...))
        end
    end
    -- LuaSocket's send returns nothing.
    function Session:send(mailt)
        arguments.message(mailt, 2)
        check(steps.send(self, mailt))
    end

    return { open = open, steps = steps, raise = raise, tls_mode = tls_mode }
end
