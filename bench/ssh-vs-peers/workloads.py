"""Workload generators of the SSH benchmark (bench/ssh-vs-peers).

Every tool gets the same desired state, byte for byte (WORKLOADS.md):

- W0: connect plus one trivial remote command, no change;
- W1: directory /tmp/froyo-bench/<host> (mode 0755) plus N files f<i>.txt,
  i = 1..N, 210 bytes of fixed content each (the same on every host), mode 0644.

This module writes each tool's inputs from a test-hosts `hosts.json`
(scripts/testhosts): the reference tree of the W1 files, an Ansible inventory,
the three ansible.cfg configurations and the playbooks, a pyinfra inventory
and deploy files, and the froyo workspaces. It runs nothing; `run` does.

Used standalone it writes the inputs for a look:
    python3 workloads.py OUT_DIR HOSTS_JSON [--files 100]
"""

import json
import os
import shutil
import stat

BENCH_ROOT = "/tmp/froyo-bench"
FILE_SIZE = 210
DIR_MODE = 0o755
FILE_MODE = 0o644


def remote_dir(host):
    """The directory that W1 manages on `host` (per host: the hosts share one file system)."""
    return f"{BENCH_ROOT}/{host}"


def file_content(index):
    """The fixed content of f<index>.txt: FILE_SIZE bytes of ASCII text ending in a newline."""
    lines = [f"# f{index}.txt: file {index} of benchmark workload W1 (fixed content, mode 0644)\n"]
    key = 1
    while True:
        line = f"key{key} = value-{index}-{key}\n"
        if sum(len(text) for text in lines) + len(line) > FILE_SIZE - 3:
            break
        lines.append(line)
        key += 1
    # A last comment line pads the file to exactly FILE_SIZE bytes.
    used = sum(len(text) for text in lines)
    lines.append("#" + "." * (FILE_SIZE - used - 2) + "\n")
    return "".join(lines)


def drift_content(index):
    """What drift10 overwrites f<index>.txt with: different bytes, same mode."""
    return f"drifted: f{index}.txt was changed on the host by hand\n"


def drifted_indices(files):
    """The files drift10 overwrites: every 10th (f10, f20, ...)."""
    return list(range(10, files + 1, 10))


# --- The reference tree --------------------------------------------------------


def write_tree(path, files):
    """Writes the W1 tree: FILES files under PATH, directory 0755, files 0644.

    It is what the `ssh-tar` floor sends, what Ansible and pyinfra upload, and
    what every tool's result is compared with."""
    if os.path.exists(path):
        shutil.rmtree(path)
    os.makedirs(path)
    os.chmod(path, DIR_MODE)
    for index in range(1, files + 1):
        name = os.path.join(path, f"f{index}.txt")
        with open(name, "w", encoding="ascii", newline="") as handle:
            handle.write(file_content(index))
        os.chmod(name, FILE_MODE)


def snapshot(path):
    """What a W1 directory holds: its mode and (name, mode, bytes) of each entry, or None."""
    try:
        info = os.lstat(path)
    except FileNotFoundError:
        return None
    entries = []
    for name in sorted(os.listdir(path)):
        full = os.path.join(path, name)
        entry = os.lstat(full)
        if stat.S_ISREG(entry.st_mode):
            with open(full, "rb") as handle:
                data = handle.read()
        else:
            data = None
        entries.append((name, stat.S_IFMT(entry.st_mode), stat.S_IMODE(entry.st_mode), data))
    return (stat.S_IMODE(info.st_mode), entries)


def install_tree_locally(tree, dest):
    """Puts DEST in the converged state by copying the reference tree (outside timing).

    The test hosts share this machine's file system, so /tmp/froyo-bench/<host>
    is the same directory locally and on the host."""
    if os.path.exists(dest):
        shutil.rmtree(dest)
    os.makedirs(os.path.dirname(dest), exist_ok=True)
    shutil.copytree(tree, dest)
    os.chmod(dest, DIR_MODE)
    for name in os.listdir(dest):
        os.chmod(os.path.join(dest, name), FILE_MODE)


def apply_drift(dest, files):
    """Overwrites every 10th file under DEST (outside timing); the others stay in sync."""
    for index in drifted_indices(files):
        name = os.path.join(dest, f"f{index}.txt")
        with open(name, "w", encoding="ascii", newline="") as handle:
            handle.write(drift_content(index))
        os.chmod(name, FILE_MODE)


# --- Ansible -------------------------------------------------------------------

ANSIBLE_CONFIGS = {
    # As shipped: nothing changed but where ControlPersist sockets live (so they
    # can be closed before each run). forks 5, linear, implicit gathering, no
    # pipelining, default ssh_args (ControlMaster auto, ControlPersist 60s).
    "ansible": {"defaults": {}, "ssh_connection": {}},
    # Its documented speed settings.
    "ansible-tuned": {
        "defaults": {
            "forks": "10",
            "strategy": "free",
            "gathering": "explicit",
            "interpreter_python": "/usr/bin/python3",
        },
        "ssh_connection": {
            "pipelining": "True",
            "ssh_args": "-C -o ControlMaster=auto -o ControlPersist=60s",
        },
    },
    # Tuned plus mitogen's free strategy.
    "mitogen": {
        "defaults": {
            "forks": "10",
            "strategy": "mitogen_free",
            "gathering": "explicit",
            "interpreter_python": "/usr/bin/python3",
        },
        "ssh_connection": {
            "pipelining": "True",
            "ssh_args": "-C -o ControlMaster=auto -o ControlPersist=60s",
        },
    },
}


def ansible_control_path_dir(control_base, tool):
    """Where configuration TOOL's ControlPersist sockets live. CONTROL_BASE must be
    short: ssh adds a hash and a 16-character suffix, and a Unix socket's path has
    at most 107 bytes."""
    return os.path.join(control_base, tool)


def write_ansible_cfg(path, tool, work, control_base, strategy_plugins=None):
    """Writes the ansible.cfg of configuration TOOL (a key of ANSIBLE_CONFIGS)."""
    config = ANSIBLE_CONFIGS[tool]
    defaults = dict(config["defaults"])
    defaults["inventory"] = os.path.join(work, "ansible", "inventory.ini")
    defaults["local_tmp"] = os.path.join(work, "ansible-tmp", tool)
    defaults["retry_files_enabled"] = "False"
    if tool == "mitogen":
        if not strategy_plugins:
            raise ValueError("the mitogen configuration needs the path of ansible_mitogen/plugins/strategy")
        defaults["strategy_plugins"] = strategy_plugins
    ssh = dict(config["ssh_connection"])
    ssh["control_path_dir"] = ansible_control_path_dir(control_base, tool)
    lines = [f"# ansible.cfg of the `{tool}` configuration, written by bench/ssh-vs-peers/run.", "[defaults]"]
    lines += [f"{key} = {value}" for key, value in defaults.items()]
    lines += ["", "[ssh_connection]"]
    lines += [f"{key} = {value}" for key, value in ssh.items()]
    with open(path, "w", encoding="utf-8") as handle:
        handle.write("\n".join(lines) + "\n")


def write_ansible_inventory(path, hosts):
    """An INI inventory of the test hosts: their address, root, the client key,
    and strict checking against the test hosts' known_hosts file only."""
    lines = ["[bench]"]
    for host in hosts["hosts"]:
        lines.append(
            f"{host['name']} ansible_host={host['address']} ansible_port={host['port']} "
            f"ansible_user=root ansible_ssh_private_key_file={hosts['identity_file']} "
            # The hosts share this machine's file system, where interpreter discovery
            # finds a pyenv shim that does not work over ssh; every configuration
            # uses the system python3 (WORKLOADS.md: "the hosts' python3").
            "ansible_python_interpreter=/usr/bin/python3"
        )
    common = (
        f"-o UserKnownHostsFile={hosts['known_hosts']} -o GlobalKnownHostsFile=/dev/null "
        "-o StrictHostKeyChecking=yes -o IdentitiesOnly=yes -o BatchMode=yes"
    )
    lines += ["", "[bench:vars]", f"ansible_ssh_common_args='{common}'"]
    with open(path, "w", encoding="utf-8") as handle:
        handle.write("\n".join(lines) + "\n")


def write_ansible_playbooks(directory, tree, files):
    """w0.yml (one trivial command) and w1.yml (directory plus FILES files from TREE)."""
    with open(os.path.join(directory, "w0.yml"), "w", encoding="utf-8") as handle:
        handle.write(
            "# W0: connect plus one trivial remote command.\n"
            "- hosts: bench\n"
            "  tasks:\n"
            "    - name: true\n"
            "      ansible.builtin.command: /bin/true\n"
            "      changed_when: false\n"
        )
    with open(os.path.join(directory, "w1.yml"), "w", encoding="utf-8") as handle:
        handle.write(
            f"# W1: the directory plus {files} files.\n"
            "- hosts: bench\n"
            "  tasks:\n"
            "    - name: directory\n"
            "      ansible.builtin.file:\n"
            f"        path: \"{BENCH_ROOT}/{{{{ inventory_hostname }}}}\"\n"
            "        state: directory\n"
            "        mode: \"0755\"\n"
            "    - name: files\n"
            "      ansible.builtin.copy:\n"
            f"        src: \"{tree}/f{{{{ item }}}}.txt\"\n"
            f"        dest: \"{BENCH_ROOT}/{{{{ inventory_hostname }}}}/f{{{{ item }}}}.txt\"\n"
            "        mode: \"0644\"\n"
            f"      loop: \"{{{{ range(1, {files + 1}) | list }}}}\"\n"
        )


# --- pyinfra --------------------------------------------------------------------


def write_pyinfra_inventory(path, hosts):
    """A pyinfra inventory: each host by name, its address, root, the client key,
    strict checking against the test hosts' known_hosts, no agent, no other keys."""
    entries = []
    for host in hosts["hosts"]:
        data = {
            "ssh_hostname": host["address"],
            "ssh_port": host["port"],
            "ssh_user": "root",
            "ssh_key": hosts["identity_file"],
            "ssh_known_hosts_file": hosts["known_hosts"],
            "ssh_strict_host_key_checking": "yes",
            "ssh_allow_agent": False,
            "ssh_look_for_keys": False,
        }
        entries.append((host["name"], data))
    with open(path, "w", encoding="utf-8") as handle:
        handle.write("# pyinfra inventory of the test hosts, written by bench/ssh-vs-peers/run.\n")
        handle.write(f"bench = {entries!r}\n")


def write_pyinfra_deploy(path, tree, files):
    """w1.py: the directory plus FILES files put from TREE."""
    with open(path, "w", encoding="utf-8") as handle:
        handle.write(
            f"# W1: the directory plus {files} files.\n"
            "from pyinfra import host\n"
            "from pyinfra.operations import files\n"
            "\n"
            f"base = \"{BENCH_ROOT}/\" + host.name\n"
            "files.directory(name=\"directory\", path=base, mode=\"755\")\n"
            f"for index in range(1, {files + 1}):\n"
            "    files.put(\n"
            "        name=f\"f{index}\",\n"
            f"        src=f\"{tree}/f{{index}}.txt\",\n"
            "        dest=f\"{base}/f{index}.txt\",\n"
            "        mode=\"644\",\n"
            "    )\n"
        )


# --- froyo ----------------------------------------------------------------------


def cue_string(text):
    """TEXT as a CUE string literal (JSON's escapes are CUE's; json never writes `\\(`)."""
    return json.dumps(text, ensure_ascii=True)


def write_froyo_workspace(path, hosts, files):
    """A froyo workspace: the test hosts, their known_hosts, and per host either
    W0 (FILES == 0: one command guarded by `unless: "true"`, so it never changes
    anything but does run one remote command) or W1 (the directory plus FILES files)."""
    if os.path.exists(path):
        shutil.rmtree(path)
    os.makedirs(os.path.join(path, "cue.mod"))
    with open(os.path.join(path, "cue.mod", "module.cue"), "w", encoding="utf-8") as handle:
        handle.write('module: "example.com/bench"\n')
    shutil.copyfile(hosts["known_hosts"], os.path.join(path, "known_hosts"))
    lines = ["// The test hosts, written by bench/ssh-vs-peers/run.", "package site", "", "hosts: {"]
    for host in hosts["hosts"]:
        lines.append(
            f"\t{host['name']}: {{address: {cue_string(host['address'])}, port: {host['port']}, "
            f"user: \"root\", identity_file: {cue_string(hosts['identity_file'])}, "
            f"labels: name: {cue_string(host['name'])}}}"
        )
    lines.append("}")
    with open(os.path.join(path, "hosts.cue"), "w", encoding="utf-8") as handle:
        handle.write("\n".join(lines) + "\n")

    lines = ["// The desired state, written by bench/ssh-vs-peers/run.", "package site", "",
             'import "froyo.dev/linux"', "", "resources: {"]
    for host in hosts["hosts"]:
        name = host["name"]
        on = f"on: name: {cue_string(name)}"
        if files == 0:
            lines.append(
                f"\t\"ping-{name}\": linux.#Exec & {{{on}, command: \"true\", unless: \"true\"}}"
            )
            continue
        lines.append(
            f"\t\"dir-{name}\": linux.#Directory & {{{on}, path: {cue_string(remote_dir(name))}, mode: \"0755\"}}"
        )
        for index in range(1, files + 1):
            lines.append(
                f"\t\"f{index}-{name}\": linux.#File & {{{on}, "
                f"path: {cue_string(remote_dir(name) + f'/f{index}.txt')}, "
                f"content: {cue_string(file_content(index))}, mode: \"0644\", "
                f"require: [\"dir-{name}\"]}}"
            )
    lines.append("}")
    with open(os.path.join(path, "site.cue"), "w", encoding="utf-8") as handle:
        handle.write("\n".join(lines) + "\n")


# --- All inputs -------------------------------------------------------------------


def write_inputs(work, hosts, files_list, strategy_plugins=None, control_base=None):
    """Writes every tool's inputs under WORK for the hosts of HOSTS (hosts.json) and
    each W1 file count of FILES_LIST (Ansible's ControlPersist sockets go under
    CONTROL_BASE, default WORK/ansible-cp). Returns a dict of the paths."""
    control_base = control_base or os.path.join(work, "ansible-cp")
    paths = {"work": work, "trees": {}, "ansible_w1": {}, "pyinfra_w1": {}, "froyo": {}}
    os.makedirs(work, exist_ok=True)
    for files in files_list:
        tree = os.path.join(work, "trees", f"w1-{files}")
        write_tree(tree, files)
        paths["trees"][files] = tree

    ansible = os.path.join(work, "ansible")
    os.makedirs(ansible, exist_ok=True)
    write_ansible_inventory(os.path.join(ansible, "inventory.ini"), hosts)
    paths["ansible_cfg"] = {}
    for tool in ANSIBLE_CONFIGS:
        cfg = os.path.join(ansible, f"{tool}.cfg")
        if tool == "mitogen" and not strategy_plugins:
            continue
        write_ansible_cfg(cfg, tool, work, control_base, strategy_plugins)
        os.makedirs(ansible_control_path_dir(control_base, tool), exist_ok=True)
        os.makedirs(os.path.join(work, "ansible-tmp", tool), exist_ok=True)
        paths["ansible_cfg"][tool] = cfg
    for files in files_list:
        directory = os.path.join(ansible, f"w1-{files}")
        os.makedirs(directory, exist_ok=True)
        write_ansible_playbooks(directory, paths["trees"][files], files)
        paths["ansible_w1"][files] = os.path.join(directory, "w1.yml")
    os.makedirs(os.path.join(ansible, "w0"), exist_ok=True)
    write_ansible_playbooks(os.path.join(ansible, "w0"), "/nonexistent", 1)
    paths["ansible_w0"] = os.path.join(ansible, "w0", "w0.yml")

    pyinfra = os.path.join(work, "pyinfra")
    os.makedirs(pyinfra, exist_ok=True)
    write_pyinfra_inventory(os.path.join(pyinfra, "inventory.py"), hosts)
    paths["pyinfra_inventory"] = os.path.join(pyinfra, "inventory.py")
    for files in files_list:
        deploy = os.path.join(pyinfra, f"w1_{files}.py")
        write_pyinfra_deploy(deploy, paths["trees"][files], files)
        paths["pyinfra_w1"][files] = deploy

    froyo = os.path.join(work, "froyo")
    os.makedirs(froyo, exist_ok=True)
    write_froyo_workspace(os.path.join(froyo, "w0"), hosts, 0)
    paths["froyo"][0] = os.path.join(froyo, "w0")
    for files in files_list:
        workspace = os.path.join(froyo, f"w1-{files}")
        write_froyo_workspace(workspace, hosts, files)
        paths["froyo"][files] = workspace
    return paths


def main():
    import argparse

    parser = argparse.ArgumentParser(description="Write the benchmark's inputs for a look.")
    parser.add_argument("out")
    parser.add_argument("hosts_json")
    parser.add_argument("--files", default="100")
    args = parser.parse_args()
    with open(args.hosts_json, encoding="utf-8") as handle:
        hosts = json.load(handle)
    files_list = [int(value) for value in args.files.split(",")]
    paths = write_inputs(os.path.abspath(args.out), hosts, files_list, strategy_plugins="/path/to/ansible_mitogen/plugins/strategy")
    print(json.dumps(paths, indent=2, default=str))


if __name__ == "__main__":
    main()
