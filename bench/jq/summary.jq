# The dashboard numbers in one jq scan, for comparison with the pipeline (same field names as
# sync-summary.json: now, pushes_per_hour, bytes_per_day, repos, machines; rows.valid only).
#
#   jq -n -f bench/jq/summary.jq FILE
#
# FILE must hold valid rows only: jq stops at the first unparseable line, and a wrong type
# ("bytes":"12") would abort the sums. The bench feeds it a copy without the rejected lines
# (the oracle's validator decides), which is also faster than `jq -R 'fromjson?'` plus type
# checks. NOW is the newest ts (--now latest).
#
# State is one flat object with keys like "hp|2026-04-16T19" (pushes in that hour), each key
# bound to a variable first and updated as `.[$k] = .[$k] + 1`: in jq 1.6 that is O(1), while
# `.[$k] += 1`, a computed path on the left, or a nested update copies the whole state object
# on every row (20k updates of a 5k-key object: 0.2 s versus 7–14 s). For the same reason the
# reduce body has no `//` and no generators: a pending backtrack point holds a second reference
# to the state, and every later update copies it. Comparisons lean on jq's order instead
# (null < any string, `null + 1 == 1`, `null | length == 0`).

# ts as "YYYY-MM-DDTHH:MM:SS.fff" in UTC: comparable as a string, and its first 13/10
# characters are the hour/day bucket. Whole-second Z timestamps (most rows) take the fast path.
def utc_key:
  if endswith("Z") then
    if length == 20 then .[0:19] + ".000"
    else .[0:19] + "." + ((.[20:-1] + "00")[0:3]) end
  else
    .[-6:] as $off
    | (if .[19:20] == "." then (.[20:-6] + "00")[0:3] else "000" end) as $ms
    | ((.[0:19] + "Z" | fromdateiso8601)
       - (if $off[0:1] == "-" then -1 else 1 end)
         * (($off[1:3] | tonumber) * 3600 + ($off[4:6] | tonumber) * 60))
    | todate[0:19] + "." + $ms
  end;

# SPEC §1: a failure when ok is false, or ok is absent and error is present and non-empty.
def failed: if has("ok") then .ok == false else (.error | length) > 0 end;

# "YYYY-MM-DDTHH:MM:SS.fff" -> RFC 3339 with milliseconds only when nonzero.
def rfc3339: if endswith(".000") then .[0:19] + "Z" else . + "Z" end;

def hour_key($epoch): $epoch | todate[0:13];

reduce inputs as $r ({};
  ($r.ts | utc_key) as $k
  | $k[0:13] as $h
  | $k[0:10] as $d
  | ($r | failed) as $f
  | ("m|" + $r.machine) as $m
  | ("|" + $r.repo + "|") as $repo
  | ("rh" + $repo + $h) as $rh
  | ("rd" + $repo + $d) as $rd
  | .n = .n + 1
  | if .max < $k then .max = $k else . end
  | if $r.op == "push" then
      ("hp|" + $h) as $hp | .[$hp] = .[$hp] + 1
      | if $f then ("hf|" + $h) as $hf | .[$hf] = .[$hf] + 1
        else ("bpush|" + $d) as $b | .[$b] = .[$b] + $r.bytes
          | if .[$m] < $k then .[$m] = $k else . end
        end
    else
      if $f then . else ("bpull|" + $d) as $b | .[$b] = .[$b] + $r.bytes end
      | if .[$m] == null then .[$m] = "" else . end
    end
  | .["rn" + $repo] = 1
  | .[$rh] = .[$rh] + 1
  | .[$rd] = .[$rd] + 1
  | if $f then ("f" + $rh) as $rhf | ("f" + $rd) as $rdf | .[$rhf] = .[$rhf] + 1 | .[$rdf] = .[$rdf] + 1 else . end
)
| . as $s
| ($s.max[0:13] + ":00:00Z" | fromdateiso8601) as $H
| ($s.max[0:10] + "T00:00:00Z" | fromdateiso8601) as $D
| [range(23; -1; -1) | hour_key($H - . * 3600)] as $hours
| [range(6; -1; -1) | ($D - . * 86400 | todate[0:10])] as $days
| def total($prefix; $buckets): [$buckets[] | $s[$prefix + .] // 0] | add;
{
  now: ($s.max | rfc3339),
  rows: { valid: $s.n },
  pushes_per_hour: [$hours[] | { hour: (. + ":00:00Z"), pushes: ($s["hp|" + .] // 0), failed: ($s["hf|" + .] // 0) }],
  bytes_per_day: [$days[] | { day: ., pushed_bytes: ($s["bpush|" + .] // 0), pulled_bytes: ($s["bpull|" + .] // 0) }],
  repos: [
    $s | keys[] | select(startswith("rn|")) | .[3:-1]
    | { repo: ., ops_24h: total("rh|" + . + "|"; $hours), failed_24h: total("frh|" + . + "|"; $hours),
        ops_7d: total("rd|" + . + "|"; $days), failed_7d: total("frd|" + . + "|"; $days) }
    | select(.ops_7d > 0)
  ],
  machines: [
    $s | to_entries[] | select(.key | startswith("m|"))
    | { machine: .key[2:], last_success_push: (if .value == "" then null else .value | rfc3339 end) }
  ] | sort_by(.machine)
}
