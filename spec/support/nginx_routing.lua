-- Loaded by init_by_lua in spec/nginx/docs_examples_spec.lua's nginx: sends
-- the docs' nginx examples to local servers, leaving the rest of each call
-- as the example wrote it. smtp.send and smtp.sendmail get the server and
-- port of the server for the tls mode the call would use (implicit TLS for
-- tls = "tls", or port 465 without create; STARTTLS for "starttls" and
-- "auto"; plain otherwise), and the spec's CA as cafile.

local smtp = require("socket.smtp")

return function(servers, cafile)
    local function route(mailt)
        local mode = mailt.tls
        if mode == nil and tonumber(mailt.port) == 465 and not mailt.create then mode = "tls" end
        local target = mode == "tls" and servers.implicit
            or (mode == "starttls" or mode == "auto") and servers.starttls
            or servers.plain
        mailt.server, mailt.port = "127.0.0.1", target
        if mode == "tls" then mailt.tls = "tls" end -- port 465's default, lost with the port
        if mode and mode ~= "none" then mailt.cafile = cafile end
        return mailt
    end
    for _, name in ipairs({ "send", "sendmail" }) do
        local original = smtp[name]
        smtp[name] = function(mailt) return original(route(mailt)) end
    end
end
