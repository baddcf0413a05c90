-- Loaded before the specs (.busted at the repository root): hands back the
-- servers of smtp_servers.lua when their holder's block ends, and stops
-- their processes when each spec file ends, so that specs need not.
--
-- A server taken in a test or its before_each goes back when the test
-- ends; one taken elsewhere (setup, after_each, a describe's body) when
-- the enclosing describe or file ends.

local busted = require("busted")
local pool = require("server_pool")
-- Loaded here, before busted insulates each file, so that every file
-- shares one pool.
local servers = require("smtp_servers")

-- busted 2's core, which knows the block running now: the busted module
-- reads its API through it.
local _, core = debug.getupvalue(getmetatable(busted).__index, 1)
assert(type(core) == "table" and core.context, "busted_helper.lua expects busted 2.x")

local IN_TEST = { it = true, before_each = true }
local HOOKS = {
    strict_setup = true, lazy_setup = true, strict_teardown = true, lazy_teardown = true, after_each = true,
}

function pool.owner()
    local block = core.context.get()
    if IN_TEST[block.descriptor] then return "test" end
    return HOOKS[block.descriptor] and core.context.parent(block) or block
end

-- Each handler returns nil, true: the other subscribers (the output
-- handler) still run.
busted.subscribe({ "test", "end" }, function()
    pool.release_owned_by("test")
    return nil, true
end)

busted.subscribe({ "describe", "end" }, function(describe)
    pool.release_owned_by(describe)
    return nil, true
end)

for _, event in ipairs({ { "file", "end" }, { "suite", "end" } }) do
    busted.subscribe(event, function()
        servers.stop_all()
        return nil, true
    end)
end
