public enum DKMSConfPlaceholder {}
