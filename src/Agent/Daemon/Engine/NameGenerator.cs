using System.Security.Cryptography;

namespace ContainerConsole.Agent.Engine;

/// <summary>Docker-style random names: adjective_surname, with a digit appended on collision.</summary>
public static class NameGenerator
{
    private static readonly string[] Adjectives =
    [
        "admiring", "brave", "busy", "clever", "cool", "dazzling", "eager", "elegant", "focused", "gallant", "happy",
        "jolly", "keen", "kind", "lucid", "modest", "nifty", "optimistic", "peaceful", "quirky", "relaxed", "sharp",
        "stoic", "tender", "upbeat", "vibrant", "wizardly", "youthful", "zealous",
    ];

    private static readonly string[] Surnames =
    [
        "babbage", "curie", "darwin", "einstein", "feynman", "goldberg", "hopper", "hypatia", "johnson", "kepler",
        "lamarr", "lovelace", "meitner", "noether", "pasteur", "ritchie", "shannon", "thompson", "torvalds", "turing",
        "wozniak", "yalow",
    ];

    public static string Generate(Func<string, bool> taken)
    {
        for (var attempt = 0; ; attempt++)
        {
            var name = $"{Adjectives[RandomNumberGenerator.GetInt32(Adjectives.Length)]}_{Surnames[RandomNumberGenerator.GetInt32(Surnames.Length)]}";
            if (attempt > 5)
                name += RandomNumberGenerator.GetInt32(10);
            if (!taken(name))
                return name;
        }
    }
}
