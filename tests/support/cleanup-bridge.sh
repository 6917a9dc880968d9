#!/usr/bin/env bash
# Removes what berth's bridge network leaves on the host once its last container is gone: the
# berth0 bridge, CNI's base iptables chains (empty of per-container rules), the networks'
# masquerade chain and the network isolation chains. Tests call it
# so that they leave the host as they found it. Does nothing while container rules remain.
set -u
for t in nat filter; do
  if iptables -t "$t" -S 2>/dev/null | grep -q -e 'CNI-DN-' -e 'CNI-[0-9a-f]\{24\}'; then
    exit 0
  fi
done
ip link del berth0 2>/dev/null
# The network isolation chains of a daemon that ended with user networks still defined.
if iptables -C FORWARD -j BERTH-ISOLATION-1 2>/dev/null; then iptables -D FORWARD -j BERTH-ISOLATION-1; fi
for c in BERTH-ISOLATION-1 BERTH-ISOLATION-2; do iptables -F "$c" 2>/dev/null && iptables -X "$c"; done
if iptables -t nat -C POSTROUTING -j BERTH-POSTROUTING 2>/dev/null; then
  iptables -t nat -D POSTROUTING -j BERTH-POSTROUTING
fi
iptables -t nat -F BERTH-POSTROUTING 2>/dev/null && iptables -t nat -X BERTH-POSTROUTING
for t in nat filter; do
  iptables -t "$t" -S | grep -- '-j CNI-' | sed 's/^-A/-D/' | while read -r r; do eval iptables -t "$t" "$r"; done
  for c in $(iptables -t "$t" -S | awk '$1 == "-N" && $2 ~ /^CNI-/ {print $2}'); do iptables -t "$t" -F "$c"; done
  for c in $(iptables -t "$t" -S | awk '$1 == "-N" && $2 ~ /^CNI-/ {print $2}'); do iptables -t "$t" -X "$c"; done
done
exit 0
