// The CDK app: one SchedulingStack in the account and Region of the caller's credentials, checked by cdk-nag.
import { App, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import { SchedulingStack, STACK_ID } from '../lib/scheduling-stack.ts';

const app = new App();
new SchedulingStack(app, STACK_ID, {
  env: { account: process.env.CDK_DEFAULT_ACCOUNT, region: process.env.CDK_DEFAULT_REGION },
  description: 'Serverless scheduling backend: demo-account expiry, push alarms and the nightly absence batch',
});
// Any unacknowledged finding fails the synth; acknowledgements sit on the constructs they concern.
Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
app.synth();
