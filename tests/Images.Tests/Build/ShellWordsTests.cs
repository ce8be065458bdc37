using ContainerConsole.Images.Build;

namespace ContainerConsole.Images.Tests.Build;

public sealed class ShellWordsTests
{
    private static readonly Dictionary<string, string> Vars = new() { ["x"] = "val", ["empty"] = "", ["HOME"] = "/root" };

    private static string E(string word, char escape = '\\') => ShellWords.Expand(word, n => Vars.GetValueOrDefault(n), escape);

    [Theory]
    [InlineData("$x", "val")]
    [InlineData("${x}", "val")]
    [InlineData("a${x}b", "avalb")]
    [InlineData("$x/$HOME", "val//root")]
    [InlineData("$unset", "")]
    [InlineData("${unset:-word}", "word")]
    [InlineData("${empty:-word}", "word")]
    [InlineData("${empty-word}", "")]
    [InlineData("${unset-word}", "word")]
    [InlineData("${x:-word}", "val")]
    [InlineData("${x:+word}", "word")]
    [InlineData("${unset:+word}", "")]
    [InlineData("${empty:+word}", "")]
    [InlineData("${empty+word}", "word")]
    [InlineData("${unset:-$x}", "val")]
    [InlineData("\\$x", "$x")]
    [InlineData("'$x'", "$x")]
    [InlineData("\"$x y\"", "val y")]
    [InlineData("\"a\\\"b\"", "a\"b")]
    [InlineData("\"a\\nb\"", "a\\nb")]
    [InlineData("a\\ b", "a b")]
    [InlineData("$", "$")]
    [InlineData("cost: $5", "cost: $5")]
    public void ExpandsLikeDocker(string word, string expected) => Assert.Equal(expected, E(word));

    [Fact]
    public void EscapeCharacterCanBeBacktick()
    {
        Assert.Equal("$x", E("`$x", '`'));
        Assert.Equal("c:\\dir", E("c:\\dir", '`'));
    }

    [Fact]
    public void BadSyntaxIsAnError()
    {
        Assert.Throws<FormatException>(() => E("${x"));
        Assert.Throws<FormatException>(() => E("${}"));
        Assert.Throws<FormatException>(() => E("${x%y}"));
        Assert.Contains("must be set", Assert.Throws<FormatException>(() => E("${unset:?must be set}")).Message);
        Assert.Throws<FormatException>(() => E("'open"));
    }

    [Fact]
    public void SplitKeepsQuotedWhitespaceTogether()
    {
        Assert.Equal(["a", "\"b c\"", "'d e'", "f\\ g"], ShellWords.Split("a  \"b c\" 'd e' f\\ g ", '\\'));
        Assert.Throws<FormatException>(() => ShellWords.Split("a \"b", '\\'));
    }
}
