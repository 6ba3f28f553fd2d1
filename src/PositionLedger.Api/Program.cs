using JasperFx;
using PositionLedger;

var app = PositionLedgerApp.Build(args);
return await app.RunJasperFxCommands(args);

public partial class Program;
