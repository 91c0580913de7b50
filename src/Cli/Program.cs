return NativeContrastive.Cli.NcProgram.Main(args);
