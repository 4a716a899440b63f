#!/usr/bin/env bash
# A private sshd for the real-ssh sync test (tests/core/sync/test_real_ssh.py).
#
#   bash .ci/sshd.sh start   install openssh if missing, make the user `deskhost`, keys and
#                            configs in /tmp/desk-ci-ssh, install this checkout's desk in
#                            /home/deskhost/venv, start sshd on 127.0.0.1:2222 (loopback only)
#   bash .ci/sshd.sh stop    stop that sshd
#
# Run as root. Not the system's ssh service: its own sshd, config, host key and pid file.
# `start` twice restarts the daemon and reinstalls desk only when the checkout changed.
# The test reads /tmp/desk-ci-ssh/env (source it): DESK_TEST_SSH_OPTIONS, DESK_TEST_SSH_HOST,
# DESK_TEST_REMOTE_DESK.
set -euo pipefail

DIR=/tmp/desk-ci-ssh
PORT=2222
HOST_ALIAS=desk-ci-host
USER_NAME=deskhost
HOME_DIR=/home/$USER_NAME
VENV=$HOME_DIR/venv
SRC=$HOME_DIR/desk-src
CHECKOUT=$(cd "$(dirname "$0")/.." && pwd)

say() { echo ".ci/sshd.sh: $*" >&2; }
die() { say "$*"; exit 1; }

as_user() {  # run a command as deskhost, in its home, with its HOME
    (cd "$HOME_DIR" && setpriv --reuid "$USER_NAME" --regid "$USER_NAME" --init-groups \
        env HOME="$HOME_DIR" USER="$USER_NAME" LOGNAME="$USER_NAME" "$@")
}

apt_install() {
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    # policy-rc.d answering 101 keeps the package from starting the system sshd on
    # 0.0.0.0:22; ours is the only one, and on loopback.
    local policy=/usr/sbin/policy-rc.d made_policy=
    if [ ! -e "$policy" ]; then
        printf '#!/bin/sh\nexit 101\n' >"$policy" && chmod 755 "$policy" && made_policy=1
    fi
    local status=0
    apt-get install -y -qq --no-install-recommends "$@" >/dev/null || status=$?
    [ -n "$made_policy" ] && rm -f "$policy"
    return "$status"
}

install_openssh() {
    local missing=()
    [ -x /usr/sbin/sshd ] || missing+=(openssh-server)
    command -v ssh >/dev/null 2>&1 && command -v ssh-keygen >/dev/null 2>&1 \
        || missing+=(openssh-client)
    [ ${#missing[@]} -eq 0 ] && return
    say "installing ${missing[*]}"
    apt_install "${missing[@]}"
    # Installed by us: keep the system service off at boot too (if systemd runs here).
    if [[ " ${missing[*]} " == *" openssh-server "* ]] && [ -d /run/systemd/system ]; then
        systemctl disable --now ssh.service ssh.socket >/dev/null 2>&1 || true
    fi
}

make_user() {
    id "$USER_NAME" >/dev/null 2>&1 || useradd -m -s /bin/bash "$USER_NAME"
    # No password, yet not locked: with UsePAM no, sshd refuses key logins to a locked ("!")
    # account, and "*" matches no password.
    usermod -p '*' "$USER_NAME"
}

make_dir() {
    # /tmp is world-writable: refuse a directory someone else made (or a symlink).
    if [ -L "$DIR" ] || { [ -e "$DIR" ] && [ "$(stat -c %u "$DIR")" != 0 ]; }; then
        die "$DIR exists and is not a directory owned by root; remove it first"
    fi
    mkdir -p "$DIR"
    chmod 755 "$DIR"  # deskhost's sshd child reads authorized_keys in it
}

make_keys() {
    [ -f "$DIR/client_key" ] || ssh-keygen -q -t ed25519 -N '' -C desk-ci-client -f "$DIR/client_key"
    [ -f "$DIR/host_key" ] || ssh-keygen -q -t ed25519 -N '' -C desk-ci-host -f "$DIR/host_key"
    chmod 600 "$DIR/client_key" "$DIR/host_key"
    install -m 644 "$DIR/client_key.pub" "$DIR/authorized_keys"
    echo "[127.0.0.1]:$PORT $(cut -d' ' -f1,2 "$DIR/host_key.pub")" >"$DIR/known_hosts"
    chmod 644 "$DIR/known_hosts"
}

write_configs() {
    cat >"$DIR/sshd_config" <<EOF
# The CI sshd (.ci/sshd.sh): loopback only, key login for $USER_NAME only.
Port $PORT
ListenAddress 127.0.0.1
HostKey $DIR/host_key
PidFile $DIR/sshd.pid
AuthorizedKeysFile $DIR/authorized_keys
# authorized_keys sits under /tmp (mode 1777), which StrictModes would refuse; the
# directory and file are root's, checked by .ci/sshd.sh.
StrictModes no
PubkeyAuthentication yes
PasswordAuthentication no
KbdInteractiveAuthentication no
PermitRootLogin no
AllowUsers $USER_NAME
UsePAM no
PrintMotd no
X11Forwarding no
AllowTcpForwarding no
AllowAgentForwarding no
PermitTunnel no
LogLevel VERBOSE
EOF
    cat >"$DIR/ssh_config" <<EOF
# Client side of the CI sshd: ssh -F $DIR/ssh_config $HOST_ALIAS
Host $HOST_ALIAS
    HostName 127.0.0.1
    Port $PORT
    User $USER_NAME
    IdentityFile $DIR/client_key
    IdentitiesOnly yes
    UserKnownHostsFile $DIR/known_hosts
    GlobalKnownHostsFile /dev/null
    StrictHostKeyChecking yes
    BatchMode yes
    ConnectTimeout 10
    LogLevel ERROR
EOF
    cat >"$DIR/env" <<EOF
# Source me: what tests/core/sync/test_real_ssh.py needs to reach the CI sshd.
export DESK_TEST_SSH_OPTIONS="-F $DIR/ssh_config"
export DESK_TEST_SSH_HOST=$HOST_ALIAS
export DESK_TEST_REMOTE_DESK=$VENV/bin/desk
EOF
    chmod 644 "$DIR/sshd_config" "$DIR/ssh_config" "$DIR/env"
}

user_python() {  # a Python >= 3.11 with venv that deskhost may run (root's pyenv it may not)
    local candidates=(/usr/bin/python3.11 /usr/bin/python3)
    candidates+=("$(python3 -c 'import sys; print(sys.executable)' 2>/dev/null || true)")
    local py
    for py in "${candidates[@]}"; do
        [ -n "$py" ] && [ -x "$py" ] || continue
        if as_user "$py" -c 'import sys, venv, ensurepip; assert sys.version_info >= (3, 11)' \
            >/dev/null 2>&1; then
            echo "$py"
            return
        fi
    done
    return 1
}

checkout_tar() {  # what pip installs from the checkout; the same files give the same bytes
    tar -C "$CHECKOUT" --sort=name --owner=0 --group=0 --numeric-owner \
        --exclude=__pycache__ --exclude='*.egg-info' -cf - pyproject.toml README.md tui data
}

install_desk() {
    local tarball=$DIR/desk-src.tar stamp=$HOME_DIR/.desk-src.sha256
    checkout_tar >"$tarball"
    local sum
    sum=$(sha256sum "$tarball" | cut -d' ' -f1)
    if [ -x "$VENV/bin/desk" ] && [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$sum" ]; then
        rm -f "$tarball"
        return
    fi
    say "installing desk from $CHECKOUT into $VENV"
    rm -rf "$SRC" "$stamp"
    mkdir "$SRC"
    tar -C "$SRC" -xf "$tarball"
    rm -f "$tarball"
    chown -R "$USER_NAME:$USER_NAME" "$SRC"
    if [ ! -x "$VENV/bin/python" ]; then
        local py
        py=$(user_python) || {
            say "no Python >= 3.11 with venv that $USER_NAME can run: installing python3-venv"
            apt_install python3 python3-venv
            py=$(user_python) || die "still no Python >= 3.11 with venv for $USER_NAME"
        }
        as_user "$py" -m venv "$VENV"
    fi
    as_user "$VENV/bin/pip" install -q "$SRC"
    # Same version number as the last install: make pip replace desk itself.
    as_user "$VENV/bin/pip" install -q --no-deps --force-reinstall "$SRC"
    as_user "$VENV/bin/desk" --help >/dev/null
    as_user sh -c "echo $sum >$stamp"
}

our_sshd_pid() {  # the pid in our pid file, if it is our sshd still running
    local pid
    [ -f "$DIR/sshd.pid" ] || return 1
    pid=$(cat "$DIR/sshd.pid")
    [[ "$pid" =~ ^[0-9]+$ ]] || return 1
    tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null | grep -q "sshd.*$DIR/sshd_config" || return 1
    echo "$pid"
}

stop_sshd() {
    local pid i
    if pid=$(our_sshd_pid); then
        kill "$pid"
        for i in $(seq 50); do
            kill -0 "$pid" 2>/dev/null || break
            sleep 0.1
        done
        kill -0 "$pid" 2>/dev/null && kill -9 "$pid"
    fi
    rm -f "$DIR/sshd.pid"
}

start_sshd() {
    stop_sshd
    mkdir -p /run/sshd  # sshd's privilege separation directory
    chmod 755 /run/sshd
    /usr/sbin/sshd -t -f "$DIR/sshd_config" || die "sshd refused $DIR/sshd_config"
    /usr/sbin/sshd -f "$DIR/sshd_config" -E "$DIR/sshd.log" \
        || { cat "$DIR/sshd.log" >&2; die "sshd did not start (log above)"; }
    local i
    for i in $(seq 50); do
        if ssh -F "$DIR/ssh_config" "$HOST_ALIAS" true 2>/dev/null; then
            say "sshd on 127.0.0.1:$PORT; source $DIR/env"
            return
        fi
        sleep 0.2
    done
    tail -20 "$DIR/sshd.log" >&2
    ssh -F "$DIR/ssh_config" "$HOST_ALIAS" true || true
    die "cannot log in to $HOST_ALIAS (sshd log above)"
}

[ "$(id -u)" = 0 ] || die "run as root"
case "${1:-}" in
start)
    install_openssh
    make_user
    make_dir
    make_keys
    write_configs
    install_desk
    start_sshd
    ;;
stop)
    stop_sshd
    ;;
*)
    die "usage: bash .ci/sshd.sh start|stop"
    ;;
esac
