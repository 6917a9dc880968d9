// Internal: the typed fields of a Project read from its resolved model (Project::model).
#pragma once

#include "compose/project.h"

namespace berth::compose {

// Fills services, networks, volumes, configs and secrets of `p` from p.model, which
// load_project has validated and normalised (so nothing here can fail).
void fill_project(Project& p);

}  // namespace berth::compose
