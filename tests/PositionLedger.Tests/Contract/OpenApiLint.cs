using System.Diagnostics;
using System.Text.Json.Nodes;
using PositionLedger.Tests.Infrastructure;

namespace PositionLedger.Tests.Contract;

/// <summary>
/// The served description under an outside linter's recommended rules, as a client's tooling would read it.
/// Redocly's CLI comes from npm (pinned: a new release may add rules); npx caches it after the first run.
/// </summary>
public sealed class when_linting_the_api_description(AppFixture app) : ApiTest(app)
{
    private const string Redocly = "@redocly/cli@2.77.0";

    [Fact]
    public async Task the_recommended_rules_find_no_error_and_no_warning()
    {
        var spec = Path.Combine(Path.GetTempPath(), $"positionledger-openapi-{Guid.NewGuid():N}.json");
        await File.WriteAllTextAsync(spec, await Client.GetStringAsync("/openapi/v1.json"));
        try
        {
            var start = new ProcessStartInfo("npx", ["--yes", Redocly, "lint", "--extends", "recommended", "--format", "json", spec])
            {
                RedirectStandardOutput = true,
                RedirectStandardError = true,
            };
            using var lint = Process.Start(start)!;
            var output = lint.StandardOutput.ReadToEndAsync();
            var errors = lint.StandardError.ReadToEndAsync();
            await lint.WaitForExitAsync(new CancellationTokenSource(TimeSpan.FromMinutes(3)).Token);
            var report = JsonNode.Parse(await output)!;
            var totals = report["totals"]!;
            var problems = string.Join("\n", report["problems"]!.AsArray().Select(p => $"{p!["ruleId"]}: {p["message"]}"));
            ((int)totals["errors"]!).ShouldBe(0, problems + await errors);
            ((int)totals["warnings"]!).ShouldBe(0, problems);
        }
        finally
        {
            File.Delete(spec);
        }
    }
}
