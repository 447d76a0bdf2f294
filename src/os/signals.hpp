// Signal names for the process layer: signal_name() and parse_signal(), from
// the one table of names and numbers in scenario/signals.hpp (the scenario
// parser reads it first; the layering puts it there).
#pragma once

#include "scenario/signals.hpp"
