namespace ContainerConsole.Server.Infrastructure.Entities;

/// <summary>A registered agent. TLS paths are set together, for a <c>tcp://</c> agent with mutual TLS.</summary>
public sealed class HostEntity
{
    public int Id { get; set; }

    public required string Name { get; set; }

    /// <summary><c>unix:///path</c>, <c>tcp://host:port</c>, <c>http(s)://host:port</c>.</summary>
    public required string Uri { get; set; }

    public string? TlsCaCertPath { get; set; }

    public string? TlsCertPath { get; set; }

    public string? TlsKeyPath { get; set; }

    public DateTimeOffset CreatedAt { get; set; }

    public DateTimeOffset UpdatedAt { get; set; }
}
