-- bench.lua: one wrk script for every workload.
--   BENCH_WORKLOAD  get | list | search | create | update | login | mix
--   BENCH_MIX       for mix: the share of each, "get=50 list=15 ..."
--   BENCH_DATA      directory of the sample files written by run:
--                   tokens.tsv (token), get.tsv (token, id), search.tsv
--                   (token, q), body.json, users.txt (username)
-- The load spreads over many users and notes: init() formats one request
-- per sample line, in a random order, and request() hands them out in turn.
-- Formatting them up front keeps the load generator's own CPU per request
-- low (it shares the cores with the shim and PostgreSQL), as pgbench's is.
-- done() prints one line "BENCHJSON {...}" for the report.
local workload = os.getenv("BENCH_WORKLOAD") or "get"
local data = os.getenv("BENCH_DATA") or "."
local rows = {}
local body = ""
local content = ""
local password = "bench-password-1"

local function read_lines(name)
  local t = {}
  for line in io.lines(data .. "/" .. name) do
    local fields = {}
    for f in string.gmatch(line, "[^\t]+") do fields[#fields + 1] = f end
    t[#t + 1] = fields
  end
  return t
end

local function urlencode(s)
  return (string.gsub(s, "[^%w%-_%.~]", function(c)
    return string.format("%%%02X", string.byte(c))
  end))
end

local counter = 0
function setup(thread)
  counter = counter + 1
  thread:set("tid", counter)
end

local json_headers = function(token)
  local h = { ["Content-Type"] = "application/json" }
  if token then h["Authorization"] = "Bearer " .. token end
  return h
end

local function format(workload, r)
  if workload == "get" then
    return wrk.format("GET", "/api/notes/" .. r[2], { ["Authorization"] = "Bearer " .. r[1] })
  elseif workload == "list" then
    return wrk.format("GET", "/api/notes", { ["Authorization"] = "Bearer " .. r[1] })
  elseif workload == "search" then
    return wrk.format("GET", "/api/notes?q=" .. urlencode(r[2]), { ["Authorization"] = "Bearer " .. r[1] })
  elseif workload == "create" then
    return wrk.format("POST", "/api/notes", json_headers(r[1]), body)
  elseif workload == "update" then
    local b = '{"content":"Edited ' .. math.random(1, 1000000000) .. ' ' .. content .. '"}'
    return wrk.format("PATCH", "/api/notes/" .. r[2], json_headers(r[1]), b)
  elseif workload == "login" then
    return wrk.format("POST", "/api/auth/login", json_headers(nil),
      '{"username":"' .. r[1] .. '","password":"' .. password .. '"}')
  end
end

local requests = {}
local next_request = 0

local samples = { get = "get.tsv", update = "get.tsv", search = "search.tsv",
                  login = "users.txt", list = "tokens.tsv", create = "tokens.tsv" }

local function prepare()
  for i = #rows, 2, -1 do
    local j = math.random(i)
    rows[i], rows[j] = rows[j], rows[i]
  end
  for i, r in ipairs(rows) do requests[i] = format(workload, r) end
end

-- mix: 20,000 requests, each of a workload drawn by its share, on a sample
-- line drawn at random from that workload's file.
local function prepare_mix()
  local shares, total, files = {}, 0, {}
  local spec = os.getenv("BENCH_MIX") or "get=50 list=15 search=10 update=15 create=9 login=1"
  for w, n in string.gmatch(spec, "(%a+)=(%d+)") do
    assert(samples[w], "BENCH_MIX: no workload " .. w)
    shares[#shares + 1] = { w, tonumber(n) }
    total = total + tonumber(n)
    files[w] = files[w] or read_lines(samples[w])
  end
  assert(total > 0, "BENCH_MIX is empty")
  for i = 1, 20000 do
    local x, w = math.random() * total, nil
    for _, s in ipairs(shares) do
      w = s[1]
      x = x - s[2]
      if x < 0 then break end
    end
    local f = files[w]
    requests[i] = format(w, f[math.random(#f)])
  end
end

function init(args)
  math.randomseed(os.time() * 1000 + (tid or 0) * 7919)
  local f = io.open(data .. "/body.json", "r")
  body = f:read("*a")
  f:close()
  content = string.match(body, '"content": *"(.-)"') or ""
  if workload == "mix" then
    prepare_mix()
  else
    rows = read_lines(samples[workload])
    prepare()
  end
end

function request()
  next_request = next_request % #requests + 1
  return requests[next_request]
end

function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    'BENCHJSON {"requests":%d,"duration_us":%d,"rps":%.2f,"p50_ms":%.3f,"p90_ms":%.3f,"p99_ms":%.3f,"max_ms":%.3f,"mean_ms":%.3f,' ..
    '"err_connect":%d,"err_read":%d,"err_write":%d,"err_status":%d,"err_timeout":%d}\n',
    summary.requests, summary.duration, summary.requests / (summary.duration / 1e6),
    latency:percentile(50) / 1000, latency:percentile(90) / 1000, latency:percentile(99) / 1000,
    latency.max / 1000, latency.mean / 1000,
    e.connect, e.read, e.write, e.status, e.timeout))
end
