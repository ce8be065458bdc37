using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace ContainerConsole.Server.Tests.Infrastructure;

/// <summary>A throwaway CA and the certificates it issues, for the mutual TLS tests.</summary>
public static class TestCertificates
{
    public static X509Certificate2 CreateAuthority(string name)
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest($"CN={name}", key, HashAlgorithmName.SHA256);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, false, 0, true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.KeyCertSign | X509KeyUsageFlags.CrlSign, true));
        return request.CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddDays(1));
    }

    /// <summary>A certificate for 127.0.0.1 (server) or a client, signed by <paramref name="authority"/>, with its key.</summary>
    public static X509Certificate2 Issue(X509Certificate2 authority, string name, bool server)
    {
        var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest($"CN={name}", key, HashAlgorithmName.SHA256);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(false, false, 0, true));
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension(
            [server ? new Oid("1.3.6.1.5.5.7.3.1") : new Oid("1.3.6.1.5.5.7.3.2")], false));
        if (server)
        {
            var names = new SubjectAlternativeNameBuilder();
            names.AddIpAddress(IPAddress.Loopback);
            request.CertificateExtensions.Add(names.Build());
        }

        using var issued = request.Create(authority, DateTimeOffset.UtcNow.AddHours(-1), DateTimeOffset.UtcNow.AddHours(12), RandomNumberGenerator.GetBytes(8));
        return issued.CopyWithPrivateKey(key);
    }

    /// <summary>Writes the certificate (and its key, when it has one) as PEM files; returns (cert, key) paths.</summary>
    public static (string Cert, string Key) WritePem(X509Certificate2 certificate, string directory, string name)
    {
        var cert = Path.Combine(directory, name + ".pem");
        var key = Path.Combine(directory, name + "-key.pem");
        File.WriteAllText(cert, certificate.ExportCertificatePem());
        if (certificate.GetECDsaPrivateKey() is { } privateKey)
        {
            File.WriteAllText(key, privateKey.ExportPkcs8PrivateKeyPem());
        }

        return (cert, key);
    }
}
