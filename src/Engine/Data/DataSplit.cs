namespace NativeContrastive.Engine.Data;

/// <summary>Which published part of a data set to read.</summary>
public enum DataSplit
{
    Train,
    Test,
    /// <summary>Images without labels (STL-10's unlabeled_X.bin, a folder's "unlabeled" sub-folder).</summary>
    Unlabeled,
}
