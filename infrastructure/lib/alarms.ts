import { Duration } from "aws-cdk-lib";
import * as cloudwatch from "aws-cdk-lib/aws-cloudwatch";
import * as actions from "aws-cdk-lib/aws-cloudwatch-actions";
import type * as kms from "aws-cdk-lib/aws-kms";
import * as sns from "aws-cdk-lib/aws-sns";
import * as subscriptions from "aws-cdk-lib/aws-sns-subscriptions";
import { Construct } from "constructs";
import type { BrokerAlarmSpec } from "./alarm-catalog.ts";
import { metricsInsightsSql } from "./broker-metrics.ts";

/** The alarm topic (SSL-only, encrypted) with the admin's e-mail subscribed, and one alarm per spec. */
export class BrokerAlarms extends Construct {
  readonly topic: sns.Topic;
  readonly alarms: cloudwatch.Alarm[];

  constructor(
    scope: Construct,
    id: string,
    props: { specs: BrokerAlarmSpec[]; email?: string; encryptionKey: kms.IKey; namespace: string },
  ) {
    super(scope, id);
    this.topic = new sns.Topic(this, "Topic", {
      displayName: "repogate alarms",
      enforceSSL: true,
      masterKey: props.encryptionKey,
    });
    if (props.email) this.topic.addSubscription(new subscriptions.EmailSubscription(props.email));

    const action = new actions.SnsAction(this.topic);
    this.alarms = props.specs.map((spec) => {
      const alarm = new cloudwatch.Alarm(this, spec.id, {
        alarmDescription: `[${spec.kind}] ${spec.description}`,
        metric: new cloudwatch.MathExpression({
          expression: metricsInsightsSql(spec.query, props.namespace),
          usingMetrics: {},
          period: Duration.minutes(spec.periodMinutes),
          label: spec.id,
        }),
        comparisonOperator:
          spec.comparison === "LessThanThreshold"
            ? cloudwatch.ComparisonOperator.LESS_THAN_THRESHOLD
            : cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
        threshold: spec.threshold,
        evaluationPeriods: spec.evaluationPeriods,
        datapointsToAlarm: spec.datapoints,
        treatMissingData:
          spec.missingData === "breaching"
            ? cloudwatch.TreatMissingData.BREACHING
            : cloudwatch.TreatMissingData.NOT_BREACHING,
      });
      alarm.addAlarmAction(action);
      alarm.addOkAction(action);
      return alarm;
    });
  }
}
