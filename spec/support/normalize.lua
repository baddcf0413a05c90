-- Makes two generated messages comparable: what legitimately differs between
-- LuaSocket and luasmtp is replaced or put in a fixed order.
--   * boundaries become BOUNDARY-1, BOUNDARY-2, ... in order of appearance;
--   * header lines are sorted within each header block (LuaSocket writes
--     them in pairs() order);
--   * the time in Date becomes <time> (the zone after it is kept);
--   * a default X-Mailer (either implementation's name) becomes <mailer>.

local DEFAULT_MAILERS = {}

local function replace_plain(text, old, new)
    local parts, from = {}, 1
    while true do
        local first, last = text:find(old, from, true)
        if not first then break end
        parts[#parts + 1] = text:sub(from, first - 1)
        parts[#parts + 1] = new
        from = last + 1
    end
    parts[#parts + 1] = text:sub(from)
    return table.concat(parts)
end

local function normalize_line(line)
    line = line:gsub("^Date: %a%a%a, %d%d %a%a%a %d%d%d%d %d%d:%d%d:%d%d ", "Date: <time> ")
    local mailer = line:match("^X%-Mailer: (.*)$")
    if mailer and DEFAULT_MAILERS[mailer] then line = "X-Mailer: <mailer>" end
    return line
end

-- The header block that starts at `start`: its sorted text and where it ends.
local function sorted_block(text, start)
    local stop = text:find("\r\n\r\n", start, true)
    if text:sub(start, start + 1) == "\r\n" or not stop then
        return "", start
    end
    local lines = {}
    for line in text:sub(start, stop + 1):gmatch("(.-)\r\n") do
        lines[#lines + 1] = normalize_line(line)
    end
    table.sort(lines)
    return table.concat(lines, "\r\n") .. "\r\n", stop + 2
end

local function normalize(text)
    local names, count = {}, 0
    for boundary in text:gmatch('boundary="([^"]+)"') do
        if not names[boundary] then
            count = count + 1
            names[boundary] = "BOUNDARY-" .. count
            text = replace_plain(text, boundary, names[boundary])
        end
    end
    -- Header blocks start the message and follow each opening delimiter.
    local starts = { 1 }
    for i = 1, count do
        local delimiter = "\r\n--BOUNDARY-" .. i .. "\r\n"
        local from = 1
        while true do
            local _, last = text:find(delimiter, from, true)
            if not last then break end
            starts[#starts + 1] = last + 1
            from = last + 1
        end
    end
    table.sort(starts)
    local out, copied = {}, 1
    for _, start in ipairs(starts) do
        out[#out + 1] = text:sub(copied, start - 1)
        local block
        block, copied = sorted_block(text, start)
        out[#out + 1] = block
    end
    out[#out + 1] = text:sub(copied)
    return table.concat(out)
end

return {
    normalize = normalize,
    -- Registers the default X-Mailer value of an implementation.
    default_mailer = function(value) DEFAULT_MAILERS[value] = true end,
}
