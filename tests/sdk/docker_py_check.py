"""Drives a Docker Engine API socket with docker-py (Debian's python3-docker) the way a Python program would.

Usage: docker_py_check.py SOCKET IMAGE_ARCHIVE
The archive is a `docker save` tarball holding pybox:1 (busybox). Prints one "name: value" line per check and exits
non-zero (with a traceback) at the first failure, so the calling test sees what broke.
"""
import sys

import docker


def check(name, actual, expected):
    if actual != expected:
        raise AssertionError(f"{name}: expected {expected!r}, got {actual!r}")
    print(f"{name}: {actual}")


def main(socket, archive):
    client = docker.DockerClient(base_url="unix://" + socket, version="auto", timeout=60)
    check("ping", client.ping(), True)
    version = client.version()
    check("version.Os", version["Os"], "linux")
    print("version.ApiVersion:", version["ApiVersion"])

    with open(archive, "rb") as f:
        loaded = client.images.load(f.read())
    check("images.load", [t for i in loaded for t in i.tags], ["pybox:1"])
    check("images.list", sorted(t for i in client.images.list() for t in i.tags), ["pybox:1"])

    out = client.containers.run("pybox:1", ["sh", "-c", "echo hello $WHO; echo to-stderr >&2"],
                                environment={"WHO": "python"}, remove=True)
    check("run.output", out, b"hello python\n")

    c = client.containers.run("pybox:1", ["sh", "-c", "echo started; echo oops >&2; exit 4"], detach=True,
                              name="py-detached", labels={"suite": "py"}, working_dir="/tmp")
    check("run.detach.wait", c.wait()["StatusCode"], 4)
    check("logs", c.logs(), b"started\noops\n")
    check("logs.stdout", c.logs(stderr=False), b"started\n")
    c.reload()
    check("attrs.State.Status", c.attrs["State"]["Status"], "exited")
    check("attrs.Config.WorkingDir", c.attrs["Config"]["WorkingDir"], "/tmp")

    svc = client.containers.run("pybox:1", ["sleep", "600"], detach=True, name="py-svc", labels={"suite": "py", "role": "svc"})
    check("list.running", [x.name for x in client.containers.list()], ["py-svc"])
    check("list.label", sorted(x.name for x in client.containers.list(all=True, filters={"label": "suite=py"})),
          ["py-detached", "py-svc"])
    check("list.status", [x.name for x in client.containers.list(all=True, filters={"status": "exited"})], ["py-detached"])
    check("list.name", [x.name for x in client.containers.list(all=True, filters={"name": "py-svc"})], ["py-svc"])

    code, output = svc.exec_run(["sh", "-c", "echo in-exec $V; exit 2"], environment={"V": "1"})
    check("exec_run", (code, output), (2, b"in-exec 1\n"))
    code, output = svc.exec_run("pwd", workdir="/etc")
    check("exec_run.workdir", (code, output), (0, b"/etc\n"))

    image = client.images.get("pybox:1")
    check("image.tag", image.tag("example.org/py/box", "v1"), True)
    check("image.tags", sorted(client.images.get("pybox:1").tags), ["example.org/py/box:v1", "pybox:1"])
    client.images.remove("example.org/py/box:v1")
    check("image.untagged", client.images.get("pybox:1").tags, ["pybox:1"])

    vol = client.volumes.create("py-vol", labels={"suite": "py"})
    check("volumes.create", (vol.name, vol.attrs["Driver"], vol.attrs["Labels"]), ("py-vol", "local", {"suite": "py"}))
    out = client.containers.run("pybox:1", ["sh", "-c", "echo kept > /v/f; cat /v/f"], volumes={"py-vol": {"bind": "/v", "mode": "rw"}}, remove=True)
    check("volumes.run", out, b"kept\n")
    out = client.containers.run("pybox:1", ["cat", "/v/f"], mounts=[docker.types.Mount("/v", "py-vol", read_only=True)], remove=True)
    check("volumes.mount", out, b"kept\n")
    check("volumes.list", [v.name for v in client.volumes.list(filters={"label": "suite=py"})], ["py-vol"])
    check("volumes.get", client.volumes.get("py-vol").attrs["Mountpoint"].endswith("/volumes/py-vol/_data"), True)
    vol.remove()
    try:
        client.volumes.get("py-vol")
        raise AssertionError("volumes.get of a removed volume did not raise")
    except docker.errors.NotFound:
        print("volumes.get.removed: NotFound")

    svc.remove(force=True)
    c.remove()
    check("containers.after", client.containers.list(all=True), [])
    client.images.remove("pybox:1")
    check("images.after", client.images.list(), [])
    try:
        client.images.get("pybox:1")
        raise AssertionError("images.get of a removed image did not raise")
    except docker.errors.ImageNotFound:
        print("images.get.removed: ImageNotFound")
    print("ALL OK")


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
