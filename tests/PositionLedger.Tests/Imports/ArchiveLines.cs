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
        (await ReadAsync("{\"party\": ")).ShouldHaveSingleItem().Error!.ShouldStartWith("party: The body is not valid JSON");
        (await ReadAsync("{,}")).ShouldHaveSingleItem().Error!.ShouldStartWith("The body is not valid JSON");
        (await ReadAsync("{,}")).Single().Error!.ShouldNotContain("LineNumber");
    }

    [Fact]
    public async Task an_id_of_its_own_must_be_a_guid()
    {
        var id = Guid.NewGuid();

        var lines = await ReadAsync($"{{\"id\":\"{id}\",{Statement[1..]}\n{{\"id\":\"nope\",{Statement[1..]}\n{{\"id\":5,{Statement[1..]}");

        lines[0].Id.ShouldBe(id);
        lines[1].Error.ShouldBe("id: must be a GUID.");
        lines[2].Error.ShouldBe("id: must be a GUID.");
    }
}
