# Shell helpers shared by the provisioning and test scripts (sourced, not run).

# A TCP port free on 127.0.0.1 a moment ago, chosen by the kernel.
free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}

# The project's own Node.js 24 (tools/node, put there by install-node.sh when the machine's Node is another
# major) first on PATH for this shell and what it starts; npm_config_nodedir points node-gyp at its headers,
# overriding any nodedir the machine's npm configuration names (its own, older Node's).
use_project_node() {
  local dir="$root/tools/node"
  [ -x "$dir/bin/node" ] || return 0
  export PATH="$dir/bin:$PATH"
  export npm_config_nodedir="$dir"
}
