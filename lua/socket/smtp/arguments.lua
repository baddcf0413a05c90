-- Checks of the arguments scripts pass. A wrong type is a programmer
-- mistake: it raises an error that names the field, before anything is
-- sent, at the level of the script's call.

local arguments = {}

local function callable(value)
    if type(value) == "function" then return true end
    local meta = getmetatable(value)
    return type(meta) == "table" and meta.__call ~= nil
end

local function text(value)
    local kind = type(value)
    return kind == "string" or kind == "number"
end

-- A rule for a string that must be one of `names`; a wrong string is
-- shown as it is, since its type says nothing.
local function one_of(names)
    local allowed = {}
    for _, name in ipairs(names) do allowed[name] = true end
    return {
        test = function(v) return allowed[v] == true end,
        expected = '"' .. table.concat(names, '", "', 1, #names - 1) .. '" or "' .. names[#names] .. '" expected',
        got = function(v)
            if type(v) == "string" then return string.format("%q", v) end
            return type(v)
        end,
    }
end

local KINDS = {
    text = { test = text, expected = "string expected" },
    string = { test = function(v) return type(v) == "string" end, expected = "string expected" },
    boolean = { test = function(v) return type(v) == "boolean" end, expected = "boolean expected" },
    port = { test = text, expected = "number or string expected" },
    callable = { test = callable, expected = "function expected" },
    table = { test = function(v) return type(v) == "table" end, expected = "table expected" },
    tls = one_of({ "none", "auto", "starttls", "tls" }),
    body = one_of({ "7bit", "8bitmime" }),
    ret = one_of({ "full", "hdrs" }),
    size = { test = function(v) return type(v) == "number" and v >= 0 and v % 1 == 0 end,
        expected = "non-negative integer expected" },
    auth = one_of({ "plain", "login", "xoauth2" }),
    seconds = { test = function(v) return type(v) == "number" and v > 0 end,
        expected = "positive number of seconds expected" },
    encoding = one_of({ "base64", "quoted-printable", "8bit" }),
}

-- Raises the error for `value`, which breaks `rule`; `what` names it.
local function reject(what, rule, value, level)
    local got = rule.got and rule.got(value) or type(value)
    error(string.format("bad %s (%s, got %s)", what, rule.expected, got), level + 1)
end

-- Raises unless `value` is of `kind` (or nil, when `optional`). `what` is
-- how the error names it: "field 'from'" or "argument #1 to 'open'".
function arguments.check(what, value, kind, optional, level)
    if value == nil and optional then return end
    local rule = KINDS[kind]
    if not rule.test(value) then reject(what, rule, value, level + 1) end
end

local check = arguments.check

-- As check, for mailt[name]; the name in the error is built only for it,
-- since these checks run for every message.
local function field(mailt, name, kind, optional, level)
    local value = mailt[name]
    if value == nil and optional then return end
    local rule = KINDS[kind]
    if not rule.test(value) then reject("field '" .. name .. "'", rule, value, level + 1) end
end

local NOTIFY_EVENTS = { success = true, failure = true, delay = true }

-- A DSN `notify` value: "never", or a list of "success", "failure" and
-- "delay"; `what` names it.
local function notify(value, what, level)
    if value == nil or value == "never" then return end
    local ok = type(value) == "table" and #value > 0
    if ok then
        for _, event in ipairs(value) do ok = ok and NOTIFY_EVENTS[event] == true end
    end
    if not ok then
        error(string.format('bad %s ("never" or a list of "success", "failure", "delay" expected)', what),
            level + 1)
    end
end

-- A recipient given as a table: { address =, notify =, orcpt = }. `what`
-- names it, its closing quote left for the field: "field 'rcpt[2]".
local function recipient(to, what, level)
    if not text(to.address) then reject(what .. ".address'", KINDS.text, to.address, level + 1) end
    notify(to.notify, what .. ".notify'", level + 1)
    if to.orcpt ~= nil and type(to.orcpt) ~= "boolean" then
        reject(what .. ".orcpt'", KINDS.boolean, to.orcpt, level + 1)
    end
end

-- The dsn table: { ret =, envid =, notify =, orcpt =, required = }.
local function dsn(t, level)
    if type(t) ~= "table" then reject("field 'dsn'", { expected = "table expected" }, t, level + 1) end
    check("field 'dsn.ret'", t.ret, "ret", true, level + 1)
    check("field 'dsn.envid'", t.envid, "string", true, level + 1)
    notify(t.notify, "field 'dsn.notify'", level + 1)
    check("field 'dsn.orcpt'", t.orcpt, "boolean", true, level + 1)
    check("field 'dsn.required'", t.required, "boolean", true, level + 1)
end

-- The ESMTP extensions' fields; nil for LuaSocket's scripts.
local function extensions(mailt, level)
    if mailt.partial ~= nil or mailt.body ~= nil or mailt.size ~= nil or mailt.dsn ~= nil then
        field(mailt, "partial", "boolean", true, level + 1)
        field(mailt, "body", "body", true, level + 1)
        field(mailt, "size", "size", true, level + 1)
        if mailt.dsn ~= nil then dsn(mailt.dsn, level + 1) end
    end
end

function arguments.message(mailt, level)
    level = level + 1
    if type(mailt) ~= "table" then
        error("bad argument #1 to 'send' (table expected, got " .. type(mailt) .. ")", level)
    end
    field(mailt, "from", "text", false, level)
    if type(mailt.rcpt) == "table" then
        for index, to in ipairs(mailt.rcpt) do
            if type(to) == "table" then
                recipient(to, "field 'rcpt[" .. index .. "]", level)
            elseif not text(to) then
                reject("field 'rcpt' (entry " .. index .. ")", KINDS.text, to, level)
            end
        end
    else
        check("field 'rcpt'", mailt.rcpt, "text", false, level)
    end
    field(mailt, "source", "callable", false, level)
    field(mailt, "step", "callable", true, level)
    extensions(mailt, level)
end

-- The connection's fields, in smtp.send{} and smtp.open{}: LuaSocket's
-- server, port and create, and the extensions.
local function connection(t, level)
    level = level + 1
    field(t, "server", "string", true, level)
    field(t, "port", "port", true, level)
    field(t, "create", "callable", true, level)
    field(t, "tls", "tls", true, level)
    field(t, "cafile", "string", true, level)
    field(t, "servername", "string", true, level)
    field(t, "verify", "boolean", true, level)
    field(t, "auth", "auth", true, level)
    field(t, "trace", "callable", true, level)
    field(t, "dkim", "table", true, level)
    field(t, "timeout", "seconds", true, level)
end

-- Every field of smtp.send{}.
function arguments.send(mailt, level)
    level = level + 1
    arguments.message(mailt, level)
    field(mailt, "user", "text", true, level)
    field(mailt, "password", "text", true, level)
    field(mailt, "domain", "text", true, level)
    connection(mailt, level)
end

-- The fields of smtp.sendmail{} that are smtp.send's rather than
-- smtp.compose's.
local SENDING = { "server", "port", "create", "user", "password", "domain", "tls", "cafile",
    "servername", "verify", "auth", "trace", "dkim", "partial", "body", "size", "dsn", "timeout" }

-- smtp.sendmail{...}: splits the table into smtp.compose's table and
-- smtp.send's, checking the latter's fields.
function arguments.sendmail(mailt, level)
    level = level + 1
    if type(mailt) ~= "table" then
        error("bad argument #1 to 'sendmail' (table expected, got " .. type(mailt) .. ")", level)
    end
    local composet, sendt = {}, {}
    for key, value in pairs(mailt) do composet[key] = value end
    for _, key in ipairs(SENDING) do
        sendt[key], composet[key] = mailt[key], nil
    end
    field(sendt, "user", "text", true, level)
    field(sendt, "password", "text", true, level)
    field(sendt, "domain", "text", true, level)
    connection(sendt, level)
    extensions(sendt, level)
    return composet, sendt
end

-- smtp.attach{...}: the file's path and its encoding.
function arguments.attach(options, level)
    level = level + 1
    if type(options) ~= "table" then
        error("bad argument #1 to 'attach' (table expected, got " .. type(options) .. ")", level)
    end
    field(options, "path", "string", false, level)
    field(options, "encoding", "encoding", true, level)
end

-- smtp.open{...}: the connection's fields.
function arguments.open_table(options, level)
    connection(options, level + 1)
end

-- smtp.open(server, port, create).
function arguments.open(server, port, create, level)
    level = level + 1
    check("argument #1 to 'open'", server, "string", true, level)
    check("argument #2 to 'open'", port, "port", true, level)
    check("argument #3 to 'open'", create, "callable", true, level)
end

-- The arguments of smtp.open's session methods: kind and whether optional.
local METHODS = {
    greet = { { "text", true } },
    mail = { { "text" } },
    rcpt = { { "text" } },
    login = { { "text" }, { "text" } },
    plain = { { "text" }, { "text" } },
    xoauth2 = { { "text" }, { "text" } },
    auth = { { "text", true }, { "text", true }, { "string", true } },
    data = { { "callable" }, { "callable", true } },
}

-- Checks the arguments of session method `name` (self excluded).
function arguments.method(name, level, ...)
    local signature = METHODS[name]
    if not signature then return end
    for index, rule in ipairs(signature) do
        local what = "argument #" .. index .. " to '" .. name .. "'"
        check(what, (select(index, ...)), rule[1], rule[2], level + 1)
    end
end

return arguments
