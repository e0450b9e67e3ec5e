/** Types of scripts/dashboard.cjs for the tests that read the dashboard it builds. */
export declare function dashboardBody(service: string): string;
