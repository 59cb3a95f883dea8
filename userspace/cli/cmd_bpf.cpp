// `poolgate bpf attach|detach`: the eBPF data plane of kernel/, whose reports
// are printed here (a notice such as "mounted bpffs" on stderr, as a side remark).
#include "cli/commands.h"
#include "common/text_lines.h"
#include "kernel/attach.h"

#include <iostream>

namespace poolgate {

void register_bpf(CLI::App& app, const GlobalOptions& options, Runner& run) {
  auto* bpf = app.add_subcommand("bpf", "eBPF enforcement and counters (tc egress, XDP ingress)");
  bpf->require_subcommand(1);
  using Action = void (*)(const Config&);
  const std::pair<const char*, Action> actions[] = {
      {"attach",
       [](const Config& c) {
         const BpfAttachReport report = bpf_attach(c);
         std::cerr << as_text(report.notices);
         std::cout << as_text(report.lines());
       }},
      {"detach", [](const Config& c) { std::cout << as_text(bpf_detach(c).lines()); }}};
  const char* help[] = {"load, configure and attach the programs; pin the maps",
                        "detach what poolgate attached and unpin its maps"};
  for (size_t i = 0; i < std::size(actions); ++i) {
    auto [name, action] = actions[i];
    bpf->add_subcommand(name, help[i])->callback([&options, &run, action] {
      run = [&options, action] {
        std::optional<Config> config = load_or_report(options.config_path);
        if (!config) return kExitInvalidConfig;
        action(*config);
        return 0;
      };
    });
  }
}

}  // namespace poolgate
