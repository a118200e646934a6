#!/usr/bin/env bash
# The randomised crashes of fault_random_kills.sh as a soak (labels fault
# and slow, kept out of CI): 60 kills by default, a full check after
# every fifth. Run it by hand before a release: ctest -L slow.
#
# Knobs: those of fault_random_kills.sh; here FAULT_KILLS defaults to 60
# and FAULT_CHECK_EVERY to 5.
export FAULT_KILLS=${FAULT_KILLS:-60}
export FAULT_CHECK_EVERY=${FAULT_CHECK_EVERY:-5}
exec bash "$(dirname "$0")/fault_random_kills.sh"
