using System.Text;
using PositionLedger.Imports;

namespace PositionLedger.Tests.Imports;

/// <summary>How an NDJSON archive is split into lines and read (<see cref="StatementImport.ReadAsync"/>); no database.</summary>
public sealed class when_an_archive_is_read_line_by_line
{
    private const string Statement =
        """{"party":"russia","issue":"ceasefire","stance":"rejects","speaker":"S","quote":"Q","statedAt":"2025-03-13","""
        + "\"source\":{\"outlet\":\"O\"}}";

    private static async Task<List<ImportLine>> ReadAsync(byte[] bytes)
    {
        var lines = new List<ImportLine>();
        await foreach (var line in StatementImport.ReadAsync(new MemoryStream(bytes), isJsonArray: false, CancellationToken.None))
            lines.Add(line);
        return lines;
    }

    private static Task<List<ImportLine>> ReadAsync(string text) => ReadAsync(Encoding.UTF8.GetBytes(text));

    [Fact]
    public async Task blank_lines_are_skipped_but_counted_and_CRLF_is_accepted()
    {
        var lines = await ReadAsync($"{Statement}\r\n\r\n   \n{Statement}");

        lines.Select(l => l.Line).ShouldBe([1, 4]);
        lines.ShouldAllBe(l => l.Error == null && l.Statement!.Party == "russia");
    }

    [Fact]
    public async Task invalid_utf8_is_refused_by_line()
    {
        var bytes = Encoding.UTF8.GetBytes($"{Statement}\n").Concat(new byte[] { (byte)'"', 0xC3, 0x28, (byte)'"', (byte)'\n' }).ToArray();

        var lines = await ReadAsync(bytes);

        lines[1].Line.ShouldBe(2);
        lines[1].Error.ShouldBe("The line is not valid UTF-8.");
    }

    [Theory]
    [InlineData("[1, 2]")]
    [InlineData("42")]
    [InlineData("null")]
    public async Task a_line_that_is_not_an_object_is_named(string line)
    {
        (await ReadAsync(line)).ShouldHaveSingleItem().Error.ShouldBe("Each line must be a JSON object.");
    }

    [Fact]
    public async Task broken_json_is_named_by_where_it_breaks()
    {
        var broken = (await ReadAsync("{\"party\": ")).ShouldHaveSingleItem();
        broken.Field.ShouldBe("party");
        broken.Error!.ShouldStartWith("The body is not valid JSON");
        (await ReadAsync("{,}")).ShouldHaveSingleItem().Error!.ShouldStartWith("The body is not valid JSON");
        (await ReadAsync("{,}")).Single().Error!.ShouldNotContain("LineNumber");
    }

    [Fact]
    public async Task an_id_of_its_own_must_be_a_guid()
    {
        var id = Guid.NewGuid();

        var lines = await ReadAsync($"{{\"id\":\"{id}\",{Statement[1..]}\n{{\"id\":\"nope\",{Statement[1..]}\n{{\"id\":5,{Statement[1..]}");

        lines[0].Id.ShouldBe(id);
        lines[1].ErrorKey.ShouldBe("line 2.id");
        lines[2].ErrorKey.ShouldBe("line 3.id");
    }
}

/// <summary>How a JSON-array archive is read: element by element, each as an NDJSON line is; no database.</summary>
public sealed class when_an_archive_is_read_as_a_json_array
{
    private const string Statement =
        """{"party":"russia","issue":"ceasefire","stance":"rejects","speaker":"S","quote":"Q","statedAt":"2025-03-13","""
        + "\"source\":{\"outlet\":\"O\"}}";

    private static async Task<List<ImportLine>> ReadAsync(string text, int chunk = int.MaxValue)
    {
        var lines = new List<ImportLine>();
        var body = new ChunkedStream(Encoding.UTF8.GetBytes(text), chunk);
        await foreach (var line in StatementImport.ReadAsync(body, isJsonArray: true, CancellationToken.None)) lines.Add(line);
        return lines;
    }

    [Theory]
    [InlineData(int.MaxValue)]
    [InlineData(7)]
    [InlineData(1)]
    public async Task every_element_is_a_line_whatever_the_body_arrives_in(int chunk)
    {
        var lines = await ReadAsync($" [ {Statement} ,\n{Statement}, {Statement} ] \n", chunk);

        lines.Select(l => l.Line).ShouldBe([1, 2, 3]);
        lines.ShouldAllBe(l => l.Error == null && l.Statement!.Party == "russia");
    }

    [Fact]
    public async Task a_property_given_twice_is_named_on_its_element()
    {
        var lines = await ReadAsync($"[{Statement}, {Statement[..^1]},\"stance\":\"accepts\"}}]");

        lines[1].ErrorKey.ShouldBe("line 2.stance");
        lines[1].Error.ShouldBe("'stance' is given more than once.");
    }

    [Fact]
    public async Task broken_json_is_named_by_the_element_it_breaks()
    {
        var lines = await ReadAsync($"[{Statement}, {{\"party\": \"a\" \"issue\"}}, {Statement}]");

        lines.Count.ShouldBe(2);
        lines[1].Line.ShouldBe(2);
        lines[1].Error!.ShouldStartWith("The body is not valid JSON");
    }

    [Fact]
    public async Task a_lone_surrogate_is_named_by_its_field_instead_of_thrown()
    {
        var lines = await ReadAsync($"[{Statement[..^1]},\"conditions\":[\"\\ud800\"]}}]");

        var line = lines.ShouldHaveSingleItem();
        line.ErrorKey.ShouldBe("line 1.conditions[0]");
        line.Error.ShouldBe("'conditions[0]' holds an unpaired surrogate escape (\\uD800-\\uDFFF without its pair).");
    }

    [Theory]
    [InlineData("{}", "The body must be a JSON array of statements.")]
    [InlineData("[1]", "Each line must be a JSON object.")]
    [InlineData("[] []", "Nothing may follow the array.")]
    public async Task a_body_that_is_not_one_array_of_objects_is_named(string body, string error)
    {
        (await ReadAsync(body)).ShouldHaveSingleItem().Error.ShouldBe(error);
    }

    [Fact]
    public async Task a_body_that_ends_inside_the_array_is_refused()
    {
        (await ReadAsync($"[{Statement},")).Last().Error!.ShouldNotBeNull();
    }

    /// <summary>A body that arrives a few bytes at a time, as a slow client sends it.</summary>
    private sealed class ChunkedStream(byte[] bytes, int chunk) : MemoryStream(bytes)
    {
        public override int Read(byte[] buffer, int offset, int count) => base.Read(buffer, offset, Math.Min(count, chunk));

        public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default) =>
            base.ReadAsync(buffer[..Math.Min(buffer.Length, chunk)], cancellationToken);
    }
}
