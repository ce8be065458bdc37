using Microsoft.EntityFrameworkCore.Storage.ValueConversion;

namespace ContainerConsole.Server.Infrastructure;

/// <summary>
/// Stores a <see cref="DateTimeOffset"/> as UTC ticks in a 64-bit integer: SQLite cannot order or compare
/// DateTimeOffset columns, and a bigint means the same on PostgreSQL. Values read back are in UTC.
/// </summary>
public sealed class UtcTicksConverter() : ValueConverter<DateTimeOffset, long>(
    value => value.UtcTicks,
    ticks => new DateTimeOffset(ticks, TimeSpan.Zero));
