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

return files
