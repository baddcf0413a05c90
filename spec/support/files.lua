-- Small file and shell helpers shared by the spec support modules.

local files = {}

-- `s` as one shell word.
function files.quote(s)
    return "'" .. s:gsub("'", [['\'']]) .. "'"
end

-- The file's bytes, or nil when it cannot be opened.
function files.read(path)
    local file = io.open(path, "rb")
    if not file then return nil end
    local text = file:read("*a")
    file:close()
    return text
end

function files.write(path, text)
    local file = assert(io.open(path, "wb"))
    assert(file:write(text))
    file:close()
end

-- True when the shell command exits with status 0: os.execute returns the
-- status on Lua 5.1 and LuaJIT, and true or nil on 5.2 and later.
function files.execute(command)
    local result = os.execute(command)
    return result == true or result == 0
end

-- What the shell command writes on its standard output.
function files.capture(command)
    local pipe = assert(io.popen(command))
    local output = pipe:read("*a")
    pipe:close()
    return output
end

-- A new directory under /tmp, named after `owner`; the caller removes it
-- (files.remove).
function files.temporary_directory(owner)
    local dir = files.capture("mktemp -d /tmp/" .. owner .. ".XXXXXX"):gsub("\n$", "")
    assert(dir:find("^/tmp/" .. owner:gsub("%p", "%%%0")), dir)
    return dir
end

-- Removes `path`, a directory with all it holds.
function files.remove(path)
    os.execute("rm -rf " .. files.quote(path))
end

return files
