-- wrk script for the transitions benchmark (bench/transitions.py): the gateway driven by a
-- C load generator. Run as
--   wrk -t N -c N -d 4s -s bench/wrk_transitions.lua http://127.0.0.1:PORT
-- with BENCH_WRK_SLOTS naming a file of client slots (one line per client: asesor id,
-- asesor token, heartbeat customer, its lock token, first customer of the cycle pool, pool
-- size), BENCH_WRK_WORKLOAD = heartbeat | cycle and, for the cycle, BENCH_WRK_GTR_TOKEN.
--
-- wrk keeps one Lua state per thread, not per connection, and request() is not told which
-- connection it writes to. The benchmark therefore runs one thread per connection (-t N -c
-- N): a thread's state is then one client's state, requests on it strictly alternate with
-- their responses, and the cycle can be a state machine that reads the lock token out of
-- the take's reply. done() prints one JSON line the benchmark parses.

local slot_lines = {}
local threads = {}

function setup(thread)
   if #slot_lines == 0 then
      for line in io.lines(os.getenv("BENCH_WRK_SLOTS")) do
         slot_lines[#slot_lines + 1] = line
      end
   end
   local i = #threads + 1
   local asesor, token, cliente, lock, first, size =
      slot_lines[i]:match("^(%S+) (%S+) (%S+) (%S+) (%S+) (%S+)$")
   thread:set("asesor", asesor)
   thread:set("token", token)
   thread:set("cliente", cliente)
   thread:set("lock", lock)
   thread:set("pool_next", tonumber(first))
   thread:set("pool_last", tonumber(first) + tonumber(size) - 1)
   thread:set("workload", os.getenv("BENCH_WRK_WORKLOAD"))
   thread:set("gtr_token", os.getenv("BENCH_WRK_GTR_TOKEN") or "")
   threads[i] = thread
end

local heartbeat_request
local mine, gtr
-- The cycle: 1 assign (GTR), 2 take, 3 open, 4 update, 5 complete.
local step = 1
local current, current_lock
cycles = 0
failed = 0

function init(args)
   mine = { ["Authorization"] = "Bearer " .. token, ["Content-Type"] = "application/json" }
   gtr = { ["Authorization"] = "Bearer " .. gtr_token, ["Content-Type"] = "application/json" }
   heartbeat_request = wrk.format("POST", "/api/clientes/" .. cliente .. "/heartbeat", mine,
                                  '{"lockToken": "' .. lock .. '"}')
end

function request()
   if workload == "heartbeat" then
      return heartbeat_request
   end
   local path = "/api/clientes/" .. tostring(current)
   if step == 1 then
      if pool_next > pool_last then
         -- Pool exhausted: this client ends early, as the Python client does (the request
         -- returned here, a heartbeat, is not counted as a cycle).
         wrk.thread:stop()
         return heartbeat_request
      end
      current = pool_next
      pool_next = pool_next + 1
      path = "/api/clientes/" .. tostring(current)
      return wrk.format("POST", path .. "/estatus", gtr,
                        '{"tipo": "gtr", "estatus": "derivado", "asesorId": ' .. asesor .. '}')
   elseif step == 2 then
      return wrk.format("POST", path .. "/lock", mine, "{}")
   elseif step == 3 then
      return wrk.format("POST", path .. "/open-wizard", mine, '{"lockToken": "' .. current_lock .. '"}')
   elseif step == 4 then
      return wrk.format("PUT", path, mine,
                        '{"lockToken": "' .. current_lock .. '", "datos": {"nota": "bench"}}')
   else
      return wrk.format("POST", path .. "/complete-wizard", mine, '{"lockToken": "' .. current_lock .. '"}')
   end
end

function response(status, headers, body)
   if status >= 300 then
      failed = failed + 1
      step = 1  -- give this customer up; the next request starts a cycle on the next one
      return
   end
   if workload == "heartbeat" then
      return
   end
   if step == 2 then
      current_lock = body:match('"lockToken"%s*:%s*"([^"]+)"')
   end
   if step == 5 then
      cycles = cycles + 1
      step = 1
   else
      step = step + 1
   end
end

function done(summary, latency, requests)
   local total_cycles, total_failed = 0, 0
   for _, thread in ipairs(threads) do
      total_cycles = total_cycles + (thread:get("cycles") or 0)
      total_failed = total_failed + (thread:get("failed") or 0)
   end
   io.write(string.format(
      '{"requests": %d, "duration_us": %d, "cycles": %d, "failed": %d, "non2xx": %d, ' ..
      '"socket_errors": %d, "p50_us": %d, "p99_us": %d}\n',
      summary.requests, summary.duration, total_cycles, total_failed, summary.errors.status,
      summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout,
      latency:percentile(50), latency:percentile(99)))
end
