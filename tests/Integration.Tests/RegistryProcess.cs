using System.Diagnostics;
using System.Net;
using System.Net.Sockets;

namespace ContainerConsole.Integration.Tests;

/// <summary>
/// Debian's docker-registry (distribution v2.8) on a free port with temporary storage, optionally with htpasswd auth
/// and TLS. Stopped by its pid and removed on dispose.
/// </summary>
public sealed class RegistryProcess : IDisposable
{
    private readonly Process _process;

    public string Dir { get; } = Path.Combine(Path.GetTempPath(), "cc-registry-" + Guid.NewGuid().ToString("N")[..10]);
    public int Port { get; }
    public string Address { get; }

    /// <summary>host:port as image references name it.</summary>
    public string Host => $"{Address}:{Port}";

    /// <summary>With <paramref name="netns"/> the registry runs inside that namespace, listening on its peer address.</summary>
    public RegistryProcess(string address = "127.0.0.1", (string User, string Password)? htpasswd = null, (string Cert, string Key)? tls = null,
        TestNetns? netns = null)
    {
        Address = netns?.PeerAddress ?? address;
        address = Address;
        Directory.CreateDirectory(Dir);
        Port = netns is null ? FreePort(address) : 5000; // the namespace is new, so every port is free
        var config = new List<string>
        {
            "version: 0.1",
            "log:",
            "  level: warn",
            "storage:",
            "  filesystem:",
            $"    rootdirectory: {Path.Combine(Dir, "data")}",
            "  delete:",
            "    enabled: true",
            "http:",
            $"  addr: {address}:{Port}",
        };
        if (tls is { } t)
        {
            config.AddRange(["  tls:", $"    certificate: {t.Cert}", $"    key: {t.Key}"]);
        }

        if (htpasswd is { } h)
        {
            var file = Path.Combine(Dir, "htpasswd");
            var r = TestEnvironment.Run("/usr/bin/htpasswd", "-Bbn", h.User, h.Password);
            Assert.True(r.ExitCode == 0, "htpasswd (apache2-utils) failed: " + r.Stderr);
            File.WriteAllText(file, r.Stdout);
            config.AddRange(["auth:", "  htpasswd:", "    realm: cc-test", $"    path: {file}"]);
        }

        var configFile = Path.Combine(Dir, "config.yml");
        File.WriteAllLines(configFile, config);
        // `ip netns exec` execs the registry, so the pid stays the registry's.
        var command = netns?.Exec("/usr/bin/docker-registry").ToList() ?? ["/usr/bin/docker-registry"];
        var psi = new ProcessStartInfo(command[0]) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var a in command.Skip(1))
            psi.ArgumentList.Add(a);
        psi.ArgumentList.Add("serve");
        psi.ArgumentList.Add(configFile);
        _process = Process.Start(psi)!;
        _process.OutputDataReceived += (_, _) => { };
        _process.ErrorDataReceived += (_, _) => { };
        _process.BeginOutputReadLine();
        _process.BeginErrorReadLine();
        var deadline = DateTime.UtcNow.AddSeconds(20);
        while (true)
        {
            try
            {
                using var probe = new TcpClient();
                probe.Connect(IPAddress.Parse(address), Port);
                return;
            }
            catch (SocketException) when (DateTime.UtcNow < deadline && !_process.HasExited)
            {
                Thread.Sleep(50);
            }
        }
    }

    private static int FreePort(string address)
    {
        using var listener = new TcpListener(IPAddress.Parse(address), 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    public void Dispose()
    {
        if (!_process.HasExited)
        {
            _process.Kill();
            _process.WaitForExit();
        }

        _process.Dispose();
        if (Directory.Exists(Dir))
            Directory.Delete(Dir, true);
    }
}

/// <summary>A test CA and a server certificate for one IP address, made with openssl.</summary>
public sealed class TestCertificates : IDisposable
{
    public string Dir { get; } = Path.Combine(Path.GetTempPath(), "cc-certs-" + Guid.NewGuid().ToString("N")[..10]);
    public string CaCert => Path.Combine(Dir, "ca.crt");
    public string ServerCert => Path.Combine(Dir, "server.crt");
    public string ServerKey => Path.Combine(Dir, "server.key");

    public TestCertificates(string ipAddress)
    {
        Directory.CreateDirectory(Dir);
        void Openssl(params string[] args)
        {
            var r = TestEnvironment.Run("/usr/bin/openssl", args);
            Assert.True(r.ExitCode == 0, $"openssl {string.Join(' ', args)}: {r.Stderr}");
        }
        var ext = Path.Combine(Dir, "san.ext");
        File.WriteAllText(ext, $"subjectAltName=IP:{ipAddress}\nbasicConstraints=CA:FALSE\nkeyUsage=digitalSignature,keyEncipherment\nextendedKeyUsage=serverAuth\n");
        Openssl("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", Path.Combine(Dir, "ca.key"), "-out", CaCert, "-days", "2", "-subj", "/CN=cc-test-ca");
        Openssl("req", "-newkey", "rsa:2048", "-nodes", "-keyout", ServerKey, "-out", Path.Combine(Dir, "server.csr"), "-subj", $"/CN={ipAddress}");
        Openssl("x509", "-req", "-in", Path.Combine(Dir, "server.csr"), "-CA", CaCert, "-CAkey", Path.Combine(Dir, "ca.key"), "-CAcreateserial",
            "-out", ServerCert, "-days", "2", "-extfile", ext);
    }

    public void Dispose()
    {
        if (Directory.Exists(Dir))
            Directory.Delete(Dir, true);
    }
}
