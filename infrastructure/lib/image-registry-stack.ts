import { CfnOutput, RemovalPolicy, Stack, type StackProps } from "aws-cdk-lib";
import * as ecr from "aws-cdk-lib/aws-ecr";
import type { Construct } from "constructs";

/**
 * The ECR repository the pipeline pushes to, in its own stack so it exists before the first image is pushed.
 * Tags are immutable: a commit SHA always names the same image, and a deployed tag cannot be overwritten.
 */
export class ImageRegistryStack extends Stack {
  readonly repository: ecr.Repository;

  constructor(scope: Construct, id: string, props: StackProps & { repositoryName: string }) {
    super(scope, id, props);
    this.repository = new ecr.Repository(this, "Repository", {
      repositoryName: props.repositoryName,
      imageTagMutability: ecr.TagMutability.IMMUTABLE,
      imageScanOnPush: true,
      encryption: ecr.RepositoryEncryption.KMS,
      removalPolicy: RemovalPolicy.RETAIN,
      lifecycleRules: [{ description: "keep the last 50 images", maxImageCount: 50 }],
    });
    new CfnOutput(this, "RepositoryUri", { value: this.repository.repositoryUri });
  }
}
