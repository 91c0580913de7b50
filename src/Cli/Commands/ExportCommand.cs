using System.CommandLine;
using System.Globalization;
using NativeContrastive.Engine.Inference;
using NativeContrastive.Engine.Onnx;

namespace NativeContrastive.Cli.Commands;

/// <summary>`nc export`: a checkpoint's encoder (and with --with-head the method's head) as an ONNX model (opset 17).</summary>
internal static class ExportCommand
{
    public static Command Create(CliContext context)
    {
        var checkpoint = new Option<string>("--checkpoint") { Description = "Checkpoint file or run folder.", Required = true };
        var onnx = new Option<string>("--onnx") { Description = "ONNX file to write (input [batch, C, S, S] normalised pixels; outputs features and, with --with-head, head).", Required = true };
        var withHead = new Option<bool>("--with-head") { Description = "Also export the method's head (second output \"head\")." };
        var command = new Command("export", "Export a checkpoint's encoder (and head) as an ONNX model, opset 17, batch norm in eval mode.")
        {
            checkpoint, onnx, withHead,
        };
        command.SetAction(parse =>
        {
            using var model = InferenceModel.Load(parse.GetValue(checkpoint)!, "cpu");
            var r = OnnxExporter.Export(model, parse.GetValue(onnx)!, parse.GetValue(withHead));
            context.Out.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"export: {model.MethodName} {model.Arch} → {r.Path} ({r.Bytes / 1e6:0.0} MB, opset {OnnxExporter.Opset}, {r.Nodes} nodes, {r.Parameters} weights; input [batch, {model.InChannels}, {model.ImageSize}, {model.ImageSize}], outputs {string.Join(", ", r.Outputs)})"));
            return ExitCodes.Ok;
        });
        return command;
    }
}
