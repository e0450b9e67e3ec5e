/** Step Functions execution names: 1 – 80 letters, digits, - and _ (what coalmine accepts of the API's rule). Pure. */
export const EXECUTION_NAME = /^[A-Za-z0-9_-]{1,80}$/;
