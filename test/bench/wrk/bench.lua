-- bench.lua: one wrk script for every workload.
--   BENCH_WORKLOAD  get | list | search | create | update | login
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

local function format(r)
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

local function prepare()
  for i = #rows, 2, -1 do
    local j = math.random(i)
    rows[i], rows[j] = rows[j], rows[i]
  end
  for i, r in ipairs(rows) do requests[i] = format(r) end
end

function init(args)
  math.randomseed(os.time() * 1000 + (tid or 0) * 7919)
  if workload == "get" or workload == "update" then
    rows = read_lines("get.tsv")
  elseif workload == "search" then
    rows = read_lines("search.tsv")
  elseif workload == "login" then
    rows = read_lines("users.txt")
  else
    rows = read_lines("tokens.tsv")
  end
  local f = io.open(data .. "/body.json", "r")
  body = f:read("*a")
  f:close()
  content = string.match(body, '"content": *"(.-)"') or ""
  prepare()
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
