using JasperFx.CommandLine;
using Marten;
using PositionLedger.Statements;
using Spectre.Console;

namespace PositionLedger.Reviews;

public sealed class ReviewsInput : NetCoreInput
{
    [Description("pending (the default), approved or rejected")]
    public string StatusFlag { get; set; } = ProposalStatuses.Pending;
}

[Description("Lists the review queue: the proposals of a status, oldest first, with what each would change", Name = "reviews")]
public sealed class ReviewsCommand : JasperFxAsyncCommand<ReviewsInput>
{
    public override async Task<bool> Execute(ReviewsInput input)
    {
        if (!ProposalStatuses.All.Contains(input.StatusFlag))
        {
            AnsiConsole.MarkupLineInterpolated($"[red]--status must be one of: {string.Join(", ", ProposalStatuses.All)}.[/]");
            return false;
        }
        using var host = input.BuildHost();
        await using var session = host.Services.GetRequiredService<IDocumentStore>().QuerySession();
        var proposals = await GetReviewsEndpoint.OfStatusAsync(session, input.StatusFlag, CancellationToken.None);
        var table = new Table().AddColumns("Proposed", "Proposal", "Kind", "Statement", "By", "What it would change", "Decided by");
        foreach (var p in proposals)
        {
            var change = p.Change;
            var what = change.Stated is { Content: var c }
                ? $"{c.Party} {c.Stance.Word()} on {c.Issue}: \"{Shorten(c.Quote)}\""
                : change.Corrected is { } corrected
                    ? $"{string.Join(", ", corrected.ChangedFields)} ({Shorten(corrected.Reason)})"
                    : $"retract ({Shorten(change.Retracted!.Reason)})";
            table.AddRow($"{p.ProposedAt:u}", p.Id[Proposal.StreamPrefix.Length..], p.Kind, $"{change.StatementId} v{change.BaseVersion}",
                Markup.Escape(change.ProposedBy), Markup.Escape(what), Markup.Escape(p.DecidedBy ?? ""));
        }
        AnsiConsole.Write(table);
        AnsiConsole.MarkupLineInterpolated($"[grey]{proposals.Count} {input.StatusFlag} proposal(s).[/]");
        return true;
    }

    private static string Shorten(string text) => text.Length <= 60 ? text : text[..57] + "...";
}
