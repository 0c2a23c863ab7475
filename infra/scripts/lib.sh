# Shell helpers shared by the provisioning and test scripts (sourced, not run).

# A TCP port free on 127.0.0.1 a moment ago, chosen by the kernel.
free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}
