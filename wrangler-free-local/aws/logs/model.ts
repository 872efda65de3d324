export interface StoredLogEvent {
  timestamp: number;
  message: string;
  ingestionTime: number;
  eventId: string;
}

export interface StoredLogStream {
  name: string;
  arn: string;
  createdAt: number;
  events: StoredLogEvent[];
  lastIngestionTime?: number;
  uploadSequence: number;
}

export interface StoredLogGroup {
  name: string;
  arn: string;
  accountId: string;
  region: string;
  createdAt: number;
  retentionInDays?: number;
  streams: Record<string, StoredLogStream>;
}

export interface LogsState {
  /** By `<region>/<log group name>`. */
  groups: Record<string, StoredLogGroup>;
}
